import { randomBytes } from "node:crypto";
import { z } from "zod";
import { cursorPattern } from "../usage/usage-queries.ts";
import { timestampSchema } from "../values.ts";

/**
 * The audit log: who changed what in the gateway's settings (keys, prices, aliases), when, and the
 * target's state before and after. Recorded where the changes are made (`KeyService`,
 * `ModelSettingsService`), so the admin API, the portal and the keys CLI are all audited. Secrets and
 * key hashes are never part of an entry: a key is recorded as the admin API shows it, less its hash.
 */

/** Who made a change: the master key (scripts, the admin API), the keys CLI, or a portal user signed in with OIDC. */
export const adminActorSchema = z.discriminatedUnion("via", [
  z.strictObject({ via: z.literal("master-key") }),
  z.strictObject({ via: z.literal("cli") }),
  z.strictObject({ via: z.literal("oidc"), subject: z.string().min(1).max(500), email: z.string().max(500).optional(), name: z.string().max(500).optional() }),
]);
export type AdminActor = z.infer<typeof adminActorSchema>;

export const auditActionSchema = z.enum([
  "key.create",
  "key.update",
  "key.disable",
  "key.enable",
  "key.revoke",
  "key.rotate",
  "price.set",
  "price.delete",
  "alias.set",
  "alias.delete",
]);
export type AuditAction = z.infer<typeof auditActionSchema>;

/** A target's state as recorded: a JSON object, or null where it did not exist (before a create, after a delete). */
const stateSchema = z.record(z.string(), z.unknown()).nullable();

export const auditEntrySchema = z.strictObject({
  /** `aud_…`; with `at`, the order of the log (newest first). */
  id: z.string().min(1).max(64),
  at: timestampSchema,
  actor: adminActorSchema,
  action: auditActionSchema,
  /** What changed: a key id, a model id (prices) or an alias. */
  target: z.string().min(1).max(1024),
  before: stateSchema,
  after: stateSchema,
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditEntryInput = z.input<typeof auditEntrySchema>;

/** A page of the log, newest first, optionally of one target and one action. */
export const auditQuerySchema = z.strictObject({
  target: auditEntrySchema.shape.target.optional(),
  action: auditActionSchema.optional(),
  /** `next_cursor` of the page before. */
  cursor: z.string().max(200).regex(cursorPattern, "must be a next_cursor the log gave").optional(),
  limit: z.coerce.number().int().positive().max(1000).default(100),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export interface AuditPage {
  data: AuditEntry[];
  /** Set when the page is full: pass it as `cursor` for the next (which may be empty). */
  next_cursor: string | null;
}

export interface AuditStore {
  /** Stores one entry (its id is unique; a repeated id is a conflict). */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  listAudit(query: AuditQuery): Promise<AuditPage>;
}

/** A new entry, stamped now with a fresh id. */
export function auditEntry(actor: AdminActor, action: AuditAction, target: string, before: object | null, after: object | null): AuditEntry {
  return { id: newAuditId(), at: new Date().toISOString(), actor, action, target, before: state(before), after: state(after) };
}

let sequence = 0;

/**
 * The log sorts by time, then id: ids made by one process within one millisecond grow with a counter,
 * so its changes list in the order they were made; random bytes keep other processes' ids apart.
 */
function newAuditId(): string {
  sequence = (sequence + 1) % 36 ** 6;
  return `aud_${sequence.toString(36).padStart(6, "0")}${randomBytes(9).toString("base64url")}`;
}

function state(value: object | null): Record<string, unknown> | null {
  return value === null ? null : { ...value };
}

/**
 * The cursor of an entry: its time and id, which order the log in both stores. The time has a fixed
 * length (`toISOString()`), so the id starts at a known offset.
 */
export function auditCursor(entry: Pick<AuditEntry, "at" | "id">): string {
  return `${entry.at}#${entry.id}`;
}
