import { z } from "zod";
import { modelIdSchema } from "../../bedrock/model-id.ts";
import { serviceTierSchema } from "../../bedrock/service-tier.ts";
import { timestampSchema, usdSchema } from "../values.ts";

/**
 * An API key as the gateway keeps it, the changes an operator may make to it, and what a store of keys
 * must do. Field names are snake_case because they are also the admin API's wire format.
 */

/** Requests or tokens per minute; null: the proxy's DEFAULT_RPM or DEFAULT_TPM, no limit when that is unset. */
const perMinuteLimit = z.number().int().positive().nullable();
/** Bounds on a key's `allowed_models`, so matching them stays cheap (see `allowed-models.ts`). */
export const maxAllowedModels = 100;
export const maxGlobLength = 256;

export const keyStatusSchema = z.enum(["active", "disabled", "revoked"]);
export type KeyStatus = z.infer<typeof keyStatusSchema>;

/** Fields an operator may change on a key after it is made. */
const keySettings = {
  name: z.string().min(1).max(200),
  owner: z.string().max(200),
  status: keyStatusSchema,
  status_reason: z.string().max(1000).nullable(),
  expires_at: timestampSchema.nullable(),
  rpm: perMinuteLimit,
  tpm: perMinuteLimit,
  monthly_budget_usd: usdSchema.nullable(),
  /** Null: the proxy's DEFAULT_SERVICE_TIER, whatever it is at the time of the request. */
  service_tier: serviceTierSchema.nullable(),
  /** Globs over the resolved Bedrock model id; `["*"]` allows every model, `[]` none. */
  allowed_models: z.array(z.string().min(1).max(maxGlobLength)).max(maxAllowedModels),
  /** The key's own aliases: requested name → Bedrock model id, applied before the global ones. */
  model_map: z.record(z.string().min(1).max(512), modelIdSchema),
};

/** A key as stored. The secret itself is never stored: only its SHA-256 and a prefix to recognise it by. */
export const apiKeySchema = z.object({
  id: z.string().min(1).max(128),
  /** Lower-case hex SHA-256 of the whole secret. */
  key_hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a lower-case hex SHA-256"),
  /** The secret's first characters, shown in lists so an owner can tell keys apart. */
  key_prefix: z.string().min(1).max(32),
  ...keySettings,
  created_at: timestampSchema,
  last_used_at: timestampSchema.nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

/** A new key: identity and name are required, every setting has a default; parses to the stored key. */
export const newApiKeySchema = z
  .strictObject({
    id: apiKeySchema.shape.id,
    key_hash: apiKeySchema.shape.key_hash,
    key_prefix: apiKeySchema.shape.key_prefix,
    name: keySettings.name,
    owner: keySettings.owner.default(""),
    status: keySettings.status.default("active"),
    status_reason: keySettings.status_reason.default(null),
    expires_at: keySettings.expires_at.default(null),
    rpm: keySettings.rpm.default(null),
    tpm: keySettings.tpm.default(null),
    monthly_budget_usd: keySettings.monthly_budget_usd.default(null),
    service_tier: keySettings.service_tier.default(null),
    allowed_models: keySettings.allowed_models.default(["*"]),
    model_map: keySettings.model_map.default({}),
    created_at: timestampSchema.default(() => new Date().toISOString()),
  })
  .transform((key): ApiKey => ({ ...key, last_used_at: null }));
export type NewApiKey = z.input<typeof newApiKeySchema>;

/**
 * A change to a key: a field left out stays as it is, `null` clears a nullable field. A change of
 * `status` without a `status_reason` clears the old reason (it explained the old status). A revoked
 * key stays revoked: moving it to another status is a conflict; its other fields may still change.
 */
export const keyPatchSchema = z.strictObject(keySettings).partial();
export type KeyPatch = z.input<typeof keyPatchSchema>;
/** A parsed patch: what the stores apply. */
export type KeyChanges = z.infer<typeof keyPatchSchema>;

export interface KeyFilter {
  owner?: string;
  status?: KeyStatus;
}

/** A write that contradicts what is stored: an id or key hash already taken, a revoked key un-revoked. */
export class StoreConflictError extends Error {
  override name = "StoreConflictError";
}

export interface KeyStore {
  /** Throws StoreConflictError when the id or the hash is taken. */
  createKey(input: NewApiKey): Promise<ApiKey>;
  getKey(id: string): Promise<ApiKey | undefined>;
  /** The authentication path: the key whose secret hashes to `keyHash`. */
  getKeyByHash(keyHash: string): Promise<ApiKey | undefined>;
  /** Oldest first. */
  listKeys(filter?: KeyFilter): Promise<ApiKey[]>;
  /** Undefined when no such key; StoreConflictError when the patch would un-revoke it. */
  updateKey(id: string, patch: KeyPatch): Promise<ApiKey | undefined>;
  /**
   * Moves a key to a new secret in one atomic step: the old hash stops finding it as the new one
   * starts to; id, settings and usage stay. Undefined when no such key; StoreConflictError when the
   * new hash is taken (by any key, this one included).
   */
  rotateKeyHash(id: string, keyHash: string, keyPrefix: string): Promise<ApiKey | undefined>;
  /** Sets `last_used_at`, never moving it back in time. A missing key is ignored. */
  touchKey(id: string, at: string): Promise<void>;
  deleteKey(id: string): Promise<boolean>;
}

/**
 * The fields a parsed patch sets: a field given as `undefined` is left out like a missing one, and a
 * new status without a reason clears the old reason (it explained the old status). Both stores apply
 * exactly these fields.
 */
export function keyChanges(patch: KeyChanges): KeyChanges {
  const changes: KeyChanges = { ...patch };
  for (const field of Object.keys(changes) as (keyof KeyChanges)[]) if (changes[field] === undefined) delete changes[field];
  if (changes.status !== undefined && changes.status_reason === undefined) changes.status_reason = null;
  return changes;
}

/** Whether applying `changes` to a key in `current` status would un-revoke it. */
export function unrevokes(current: KeyStatus, changes: KeyChanges): boolean {
  return current === "revoked" && changes.status !== undefined && changes.status !== "revoked";
}
