import type { z } from "zod";
import { type ApiKey, newApiKeySchema } from "./keys/api-key.ts";
import type { KeyWithSecret } from "./keys/service.ts";
import { bucketSchema, rollupQuerySchema, type UsageRollup } from "./usage/usage-record.ts";

/**
 * What an operator gives and sees, through the admin API (`src/http/admin.ts`) and the keys CLI
 * (`scripts/keys.ts`) alike: one shape of each, so a key reads the same whichever tool shows it.
 */

/** A new key's settings; its id, secret, status and times are the key service's. */
export const createKeyBodySchema = newApiKeySchema.in.pick({
  name: true,
  owner: true,
  rpm: true,
  tpm: true,
  monthly_budget_usd: true,
  service_tier: true,
  allowed_models: true,
  model_map: true,
  expires_at: true,
});
export type CreateKeyBody = z.input<typeof createKeyBodySchema>;

/** A usage query: the store's roll-up query, by day unless asked otherwise. */
export const usageQuerySchema = rollupQuerySchema.extend({ bucket: bucketSchema.default("day") });

/** A key as shown: never the secret, never its hash (`key_prefix` tells keys apart). */
export function keyView({ key_hash: _hash, ...key }: ApiKey) {
  return key;
}
export type KeyView = ReturnType<typeof keyView>;

/** A key at creation or rotation: the one answer that carries its secret, as `key`. */
export function issuedKeyView({ key, secret }: KeyWithSecret) {
  const { id, ...settings } = keyView(key);
  return { id, key: secret, ...settings };
}

/** A roll-up as listed: the granularity is the query's, so each row leaves it out. */
export function usageView({ bucket: _bucket, ...row }: UsageRollup) {
  return row;
}

/** Why a change of a revoked key's status is refused (the stores keep revoked keys revoked). */
export function revokedMessage(id: string): string {
  return `key ${id} is revoked and cannot be re-activated; create a new key instead`;
}
