import { z } from "zod";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";

/**
 * The admin session store seam: signed-in operators and sign-ins under way, kept on the server
 * (memory-session-store.ts for one process, redis-session-store.ts shared by replicas; chosen by
 * REDIS_URL). Records are zod schemas because the Redis store reads back JSON another replica wrote.
 * Ids are digests of what the cookie holds (admin-sessions.ts), so a dump of the store opens nothing.
 */

const actorSchema = z.union([
  z.object({ via: z.literal("master-key") }),
  z.object({ via: z.literal("cli") }),
  z.object({ via: z.literal("oidc"), subject: z.string(), email: z.string().optional(), name: z.string().optional() }),
]) satisfies z.ZodType<AdminActor>;

const expiresAt = z.iso.datetime({ offset: true });

/** A signed-in operator. */
export const adminSessionSchema = z.object({
  kind: z.literal("session"),
  id: z.string(),
  actor: actorSchema,
  /** What forms and scripts send back with every change (csrf.ts): a cross-site page cannot read it. */
  csrfToken: z.string(),
  /** ISO 8601; the session is gone after it (ADMIN_SESSION_TTL_S after sign-in). */
  expiresAt,
  /** ISO 8601; the session is gone after it too, unless used before (ADMIN_SESSION_IDLE_S after its last use). */
  idleExpiresAt: expiresAt,
});
export type AdminSession = z.infer<typeof adminSessionSchema>;

/** An OIDC sign-in between the redirect to the provider and its callback: what the callback checks. */
export const pendingSignInSchema = z.object({
  kind: z.literal("sign-in"),
  id: z.string(),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  /** The admin page to land on once signed in. */
  returnTo: z.string(),
  expiresAt,
});
export type PendingSignIn = z.infer<typeof pendingSignInSchema>;

export const sessionRecordSchema = z.discriminatedUnion("kind", [adminSessionSchema, pendingSignInSchema]);
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

export interface SessionStore {
  /** undefined once expired or deleted. */
  get(id: string): Promise<SessionRecord | undefined>;
  /** Saves (creates or replaces) the record until its expiresAt. */
  put(record: SessionRecord): Promise<void>;
  /** Replaces the record only while it is still stored: a session signed out meanwhile stays signed out. */
  refresh(record: SessionRecord): Promise<void>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}
