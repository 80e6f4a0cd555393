import { z } from "zod";
import { modelIdSchema } from "../bedrock/model-id.ts";

/**
 * What the gateway keeps: API keys, usage records and their roll-ups, month-to-date spend, prices and
 * model aliases. Two implementations (`sqlite/`, `dynamodb/`) honour these interfaces and one contract
 * suite (`test/store/contract.ts`) holds them to it.
 *
 * Field names are snake_case because they are also the admin API's wire format. Times are UTC ISO 8601
 * strings with milliseconds (what `Date#toISOString()` gives): the stores normalise every time they take,
 * so times sort as text and bucket the same way in both.
 */

/** Any ISO 8601 date-time (offsets allowed), normalised to UTC `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export const timestampSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

/** A UTC calendar month, `YYYY-MM`: the period of a key's budget. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a UTC month, YYYY-MM");

/** An amount of US dollars; never negative (costs and spend only grow). */
export const usdSchema = z.number().finite().nonnegative();
const tokenCount = z.number().int().nonnegative();
/** Requests or tokens per minute; null: the proxy's DEFAULT_RPM or DEFAULT_TPM, no limit when that is unset. */
const perMinuteLimit = z.number().int().positive().nullable();
/** Bounds on a key's `allowed_models`, so matching them stays cheap (see `allowed-models.ts`). */
export const maxAllowedModels = 100;
export const maxGlobLength = 256;

export const keyStatusSchema = z.enum(["active", "disabled", "revoked"]);
export type KeyStatus = z.infer<typeof keyStatusSchema>;

/** Bedrock's service tiers (`service_tier` on the runtime API), plus provisioned (`reserved`) capacity. */
export const serviceTierSchema = z.enum(["default", "flex", "priority", "reserved"]);
export type ServiceTier = z.infer<typeof serviceTierSchema>;

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

/** One finished request, as the batching usage writer hands it over. */
export const usageRecordSchema = z.strictObject({
  /** The gateway's request id: records are written at most once per id. */
  request_id: z.string().min(1).max(200),
  key_id: z.string().min(1).max(128),
  /** When the request arrived; it decides the record's hour and day buckets. */
  created_at: timestampSchema,
  /** The model name the client sent. */
  requested_model: z.string().max(512),
  /** The Bedrock model id the request went to; roll-ups are per this id. */
  resolved_model: modelIdSchema,
  input_tokens: tokenCount,
  output_tokens: tokenCount,
  cache_read_input_tokens: tokenCount,
  cache_creation_input_tokens: tokenCount,
  service_tier: serviceTierSchema,
  /** Null when no byte of an answer was sent (errors before the first token). */
  time_to_first_token_ms: z.number().nonnegative().nullable(),
  latency_ms: z.number().nonnegative(),
  /** The HTTP status the client got. */
  status: z.number().int().min(100).max(599),
  /** The Anthropic error type when the request failed (`rate_limit_error`, …). */
  error_type: z.string().max(200).nullable(),
  /** Kept to 10 decimal places (a ten-thousandth of a micro-dollar), so sums agree in both stores. */
  cost_usd: usdSchema.transform(roundUsd),
});
export type UsageRecordInput = z.input<typeof usageRecordSchema>;
export type UsageRecord = z.infer<typeof usageRecordSchema>;

export interface UsageWriteResult {
  /** Records that landed now. */
  written: number;
  /** Records whose request id had already landed (a retried batch), or repeated inside the batch. */
  duplicates: number;
}

export const bucketSchema = z.enum(["hour", "day"]);
export type Bucket = z.infer<typeof bucketSchema>;

/** The sums of one key's requests to one model within one UTC hour or day. */
export interface UsageRollup {
  bucket: Bucket;
  /** Start of the UTC hour or day. */
  bucket_start: string;
  key_id: string;
  /** The resolved Bedrock model id. */
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

/** Roll-ups of one granularity whose `bucket_start` lies in [from, to), optionally of one key and one model. */
export const rollupQuerySchema = z.strictObject({
  bucket: bucketSchema,
  key_id: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
});
export type RollupQuery = z.input<typeof rollupQuerySchema>;

export interface MonthSpend {
  month: string;
  spend_usd: number;
}

/** Price multipliers per service tier, applied to every token price. */
export const tierMultipliersSchema = z.strictObject({
  default: z.number().positive(),
  flex: z.number().positive(),
  priority: z.number().positive(),
  reserved: z.number().positive(),
});
export type TierMultipliers = z.infer<typeof tierMultipliersSchema>;

/** Prices of one Bedrock model id, in USD per million tokens. */
export const modelPriceSchema = z.strictObject({
  model_id: modelIdSchema,
  input_usd_per_mtok: usdSchema,
  output_usd_per_mtok: usdSchema,
  cache_read_usd_per_mtok: usdSchema,
  cache_write_usd_per_mtok: usdSchema,
  tier_multipliers: tierMultipliersSchema,
});
export type ModelPriceInput = z.input<typeof modelPriceSchema>;

/** `seed` rows come from `pricing-seed.ts` and follow it; `operator` rows were edited and stay as edited. */
export const priceSourceSchema = z.enum(["seed", "operator"]);
export type PriceSource = z.infer<typeof priceSourceSchema>;

export interface ModelPrice extends z.infer<typeof modelPriceSchema> {
  source: PriceSource;
  updated_at: string;
}

/** A price as both stores keep it: the tier multipliers as four columns (attributes) of their own. */
export interface FlatModelPrice extends Omit<ModelPrice, "tier_multipliers"> {
  tier_default: number;
  tier_flex: number;
  tier_priority: number;
  tier_reserved: number;
}

export function flattenPrice({ tier_multipliers: tiers, ...price }: ModelPrice): FlatModelPrice {
  return { ...price, tier_default: tiers.default, tier_flex: tiers.flex, tier_priority: tiers.priority, tier_reserved: tiers.reserved };
}

export function unflattenPrice({ tier_default, tier_flex, tier_priority, tier_reserved, ...price }: FlatModelPrice): ModelPrice {
  return { ...price, tier_multipliers: { default: tier_default, flex: tier_flex, priority: tier_priority, reserved: tier_reserved } };
}

export interface SeedResult {
  /** Rows inserted, or seed rows brought up to the new seed. */
  written: number;
  /** Rows left alone: edited by an operator, or already equal to the seed. */
  kept: number;
}

export const modelAliasSchema = z.strictObject({
  alias: z.string().min(1).max(512),
  model_id: modelIdSchema,
});
export type ModelAliasInput = z.input<typeof modelAliasSchema>;

export interface ModelAlias extends z.infer<typeof modelAliasSchema> {
  updated_at: string;
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

export interface UsageStore {
  /**
   * Writes the records, adds them to their hour and day roll-ups, and adds each record's `cost_usd` to
   * its key's spend in the record's UTC month (`utcMonth(created_at)`); a record with no cost adds no
   * spend. A record lands together with its roll-up and spend shares or not at all, so spend is counted
   * exactly once, with its record. Idempotent by request id: a record that already landed (a retried or
   * overlapping batch) is skipped together with its shares, so nothing is counted twice. A throw means
   * some records may not have landed: retry the whole batch.
   */
  writeUsage(records: readonly UsageRecordInput[]): Promise<UsageWriteResult>;
  getUsage(requestId: string): Promise<UsageRecord | undefined>;
  /** A key's most recent records, newest first (at most 1,000). */
  latestUsage(keyId: string, limit: number): Promise<UsageRecord[]>;
  /** Ordered by bucket_start, key_id, model. */
  queryRollups(query: RollupQuery): Promise<UsageRollup[]>;
  /**
   * Adds to a key's spend in a UTC month (`YYYY-MM`, see `utcMonth`) atomically; returns the new total.
   * Spend apart from any record (an operator's correction): `writeUsage` already adds its records' cost.
   */
  addMonthSpend(keyId: string, month: string, usd: number): Promise<number>;
  /** 0 for a month without spend. */
  getMonthSpend(keyId: string, month: string): Promise<number>;
  /** Every month with spend, oldest first. */
  listMonthSpend(keyId: string): Promise<MonthSpend[]>;
}

export interface PricingStore {
  getPrice(modelId: string): Promise<ModelPrice | undefined>;
  /** Ordered by model id. */
  listPrices(): Promise<ModelPrice[]>;
  /** An operator's edit: the row becomes `operator` and the seed no longer touches it. */
  putPrice(input: ModelPriceInput): Promise<ModelPrice>;
  deletePrice(modelId: string): Promise<boolean>;
  /** Inserts missing rows and refreshes `seed` rows; never overwrites an operator's edit. */
  seedPricing(entries: readonly ModelPriceInput[]): Promise<SeedResult>;
}

export interface AliasStore {
  getAlias(alias: string): Promise<ModelAlias | undefined>;
  /** Ordered by alias. */
  listAliases(): Promise<ModelAlias[]>;
  putAlias(input: ModelAliasInput): Promise<ModelAlias>;
  deleteAlias(alias: string): Promise<boolean>;
}

export interface Store extends KeyStore, UsageStore, PricingStore, AliasStore {
  readonly kind: "sqlite" | "dynamodb";
  /** Resolves when the store answers (for GET /ready); rejects with the reason otherwise. */
  ready(): Promise<void>;
  close(): Promise<void>;
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

/** The UTC month of a time, `YYYY-MM`: the key of month-to-date spend. */
export function utcMonth(at: string | Date): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The start of the UTC hour or day a time falls in. */
export function bucketStart(at: string | Date, bucket: Bucket): string {
  const iso = new Date(at).toISOString();
  return bucket === "hour" ? `${iso.slice(0, 13)}:00:00.000Z` : `${iso.slice(0, 10)}T00:00:00.000Z`;
}

/** How many records `latestUsage` returns for a requested `limit`: at least 1, at most 1,000. */
export function latestLimit(limit: number): number {
  return Math.min(Math.max(Math.trunc(limit) || 1, 1), 1000);
}

/** USD to 10 decimal places: removes binary floating-point noise from sums (0.1 + 0.2 → 0.3). */
export function roundUsd(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
