import { z } from "zod";
import { modelIdSchema } from "../../bedrock/model-id.ts";
import { serviceTierSchema } from "../../bedrock/service-tier.ts";
import { isoTime, roundUsd, timestampSchema, usdSchema } from "../values.ts";

/** The record of one finished request, its hourly and daily roll-ups, a key's monthly spend, and what a store of them must do. */

const tokenCount = z.number().int().nonnegative();

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

/**
 * Records this process has checked against the schema, frozen so they stay as checked: the ticket
 * checks each record once, and a store takes it from there without parsing it again (a parse costs
 * several µs, on every request). Anything else (tests, the spool, a script) is parsed by the store.
 */
const checkedRecords = new WeakSet<object>();

export function checkUsageRecord(input: UsageRecordInput): z.ZodSafeParseResult<UsageRecord> {
  const result = usageRecordSchema.safeParse(input);
  if (result.success) checkedRecords.add(Object.freeze(result.data));
  return result;
}

function isChecked(record: object): record is UsageRecord {
  return checkedRecords.has(record);
}

/** A record as a store writes it: parsed, unless `checkUsageRecord` has checked this very object. */
export function storableUsageRecord(record: UsageRecordInput): UsageRecord {
  return isChecked(record) ? record : usageRecordSchema.parse(record);
}

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
  /** Requests answered with a status from 400 up. */
  errors: number;
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

/** The start of the UTC hour or day a time falls in. */
export function bucketStart(at: string | Date, bucket: Bucket): string {
  const iso = isoTime(at);
  return bucket === "hour" ? `${iso.slice(0, 13)}:00:00.000Z` : `${iso.slice(0, 10)}T00:00:00.000Z`;
}

/** How many records `latestUsage` returns for a requested `limit`: at least 1, at most 1,000. */
export function latestLimit(limit: number): number {
  return Math.min(Math.max(Math.trunc(limit) || 1, 1), 1000);
}
