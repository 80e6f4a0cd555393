import type { Database } from "bun:sqlite";
import {
  type Bucket,
  bucketStart,
  latestLimit,
  rollupQuerySchema,
  type UsageRecord,
  usageRecordSchema,
  type UsageRollup,
  type UsageStore,
  type UsageWriteResult,
} from "../../gateway/usage/usage-record.ts";
import { monthSchema, roundUsd, usdSchema, utcMonth } from "../../gateway/values.ts";
import type { Bindings } from "./database.ts";

type RecordParams = Record<keyof UsageRecord, string | number | null>;

interface RollupParams {
  bucket: Bucket;
  key_id: string;
  model: string;
  bucket_start: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
  errors: number;
}

export const recordColumns =
  "request_id, key_id, created_at, requested_model, resolved_model, input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, service_tier, time_to_first_token_ms, latency_ms, status, error_type, cost_usd";
const rollupColumns = "bucket, bucket_start, key_id, model, requests, input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, cost_usd, errors";

/**
 * bun:sqlite runs on the event loop: a batch is parsed, then written in transactions, this many records
 * at a time, with the loop free between slices, so a request in flight waits for one slice (well under a
 * millisecond), never for a whole batch (writing 100 records held it for several ms, parsing them for
 * 0.3-5 ms: most of the proxy's p99 one request at a time). Each record still lands with its roll-ups
 * and spend in one transaction; a retried batch skips what landed.
 */
const recordsPerTransaction = 10;

const loopTurn = () => new Promise((resolve) => setImmediate(resolve));

async function inSlices<T>(items: readonly T[], work: (slice: T[]) => void): Promise<void> {
  for (let start = 0; start < items.length; start += recordsPerTransaction) {
    if (start > 0) await loopTurn();
    work(items.slice(start, start + recordsPerTransaction));
  }
}

export function sqliteUsageStore(db: Database): UsageStore {
  // DO NOTHING on a known request id: `changes` then says the record is a duplicate, and its roll-up
  // share is skipped in the same transaction.
  const insertRecord = db.query<null, RecordParams>(
    `INSERT INTO usage_records (${recordColumns}) VALUES ($request_id, $key_id, $created_at, $requested_model, $resolved_model, $input_tokens, $output_tokens,
       $cache_read_input_tokens, $cache_creation_input_tokens, $service_tier, $time_to_first_token_ms, $latency_ms, $status, $error_type, $cost_usd)
     ON CONFLICT (request_id) DO NOTHING`,
  );
  const addToRollup = db.query<null, Bindings<RollupParams>>(
    `INSERT INTO usage_rollups (${rollupColumns})
     VALUES ($bucket, $bucket_start, $key_id, $model, 1, $input_tokens, $output_tokens, $cache_read_input_tokens, $cache_creation_input_tokens, $cost_usd, $errors)
     ON CONFLICT (bucket, key_id, model, bucket_start) DO UPDATE SET
       requests = requests + 1,
       input_tokens = input_tokens + excluded.input_tokens,
       output_tokens = output_tokens + excluded.output_tokens,
       cache_read_input_tokens = cache_read_input_tokens + excluded.cache_read_input_tokens,
       cache_creation_input_tokens = cache_creation_input_tokens + excluded.cache_creation_input_tokens,
       cost_usd = cost_usd + excluded.cost_usd,
       errors = errors + excluded.errors`,
  );
  const byRequestId = db.query<UsageRecord, { request_id: string }>(`SELECT ${recordColumns} FROM usage_records WHERE request_id = $request_id`);
  const latest = db.query<UsageRecord, { key_id: string; limit: number }>(
    `SELECT ${recordColumns} FROM usage_records WHERE key_id = $key_id ORDER BY created_at DESC, request_id DESC LIMIT $limit`,
  );
  const rollups = db.query<UsageRollup, { bucket: Bucket; key_id: string | null; model: string | null; from: string | null; to: string | null }>(
    `SELECT ${rollupColumns} FROM usage_rollups
     WHERE bucket = $bucket AND ($key_id IS NULL OR key_id = $key_id) AND ($model IS NULL OR model = $model)
       AND ($from IS NULL OR bucket_start >= $from) AND ($to IS NULL OR bucket_start < $to)
     ORDER BY bucket_start, key_id, model`,
  );
  const addToSpend = db.query<{ spend_usd: number }, { key_id: string; month: string; usd: number }>(
    `INSERT INTO month_spend (key_id, month, spend_usd) VALUES ($key_id, $month, $usd)
     ON CONFLICT (key_id, month) DO UPDATE SET spend_usd = spend_usd + excluded.spend_usd
     RETURNING spend_usd`,
  );
  const spend = db.query<{ spend_usd: number }, { key_id: string; month: string }>("SELECT spend_usd FROM month_spend WHERE key_id = $key_id AND month = $month");
  const spendByMonth = db.query<{ month: string; spend_usd: number }, { key_id: string }>("SELECT month, spend_usd FROM month_spend WHERE key_id = $key_id ORDER BY month");

  // One transaction per batch: its records, their roll-ups and their month spend land together or
  // not at all, so a record's cost is added to the spend exactly once.
  const writeBatch = db.transaction((records: UsageRecord[]): UsageWriteResult => {
    let written = 0;
    for (const record of records) {
      if (insertRecord.run(record).changes === 0) continue;
      written++;
      if (record.cost_usd > 0) addToSpend.run({ key_id: record.key_id, month: utcMonth(record.created_at), usd: record.cost_usd });
      for (const bucket of ["hour", "day"] as const) {
        addToRollup.run({
          bucket,
          bucket_start: bucketStart(record.created_at, bucket),
          key_id: record.key_id,
          model: record.resolved_model,
          input_tokens: record.input_tokens,
          output_tokens: record.output_tokens,
          cache_read_input_tokens: record.cache_read_input_tokens,
          cache_creation_input_tokens: record.cache_creation_input_tokens,
          cost_usd: record.cost_usd,
          errors: record.status >= 400 ? 1 : 0,
        });
      }
    }
    return { written, duplicates: records.length - written };
  });

  return {
    async writeUsage(records) {
      // Parsed before any transaction: one bad record fails the batch before anything is written.
      const parsed: UsageRecord[] = [];
      await inSlices(records, (slice) => parsed.push(...slice.map((record) => usageRecordSchema.parse(record))));
      if (records.length > recordsPerTransaction) await loopTurn();
      let written = 0;
      await inSlices(parsed, (slice) => {
        written += writeBatch.immediate(slice).written;
      });
      return { written, duplicates: parsed.length - written };
    },
    async getUsage(requestId) {
      return byRequestId.get({ request_id: requestId }) ?? undefined;
    },
    async latestUsage(keyId, limit) {
      return latest.all({ key_id: keyId, limit: latestLimit(limit) });
    },
    async queryRollups(input) {
      const query = rollupQuerySchema.parse(input);
      return rollups
        .all({ bucket: query.bucket, key_id: query.key_id ?? null, model: query.model ?? null, from: query.from ?? null, to: query.to ?? null })
        .map((row) => ({ ...row, cost_usd: roundUsd(row.cost_usd) }));
    },
    async addMonthSpend(keyId, month, usd) {
      const row = addToSpend.get({ key_id: keyId, month: monthSchema.parse(month), usd: roundUsd(usdSchema.parse(usd)) });
      if (!row) throw new Error("the spend upsert returned no row");
      return roundUsd(row.spend_usd);
    },
    async getMonthSpend(keyId, month) {
      return roundUsd(spend.get({ key_id: keyId, month: monthSchema.parse(month) })?.spend_usd ?? 0);
    },
    async listMonthSpend(keyId) {
      return spendByMonth.all({ key_id: keyId }).map((row) => ({ month: row.month, spend_usd: roundUsd(row.spend_usd) }));
    },
  };
}
