import type { Database } from "bun:sqlite";
import {
  type Bucket,
  bucketStart,
  latestLimit,
  rollupQuerySchema,
  storableUsageRecord,
  type UsageRecord,
  type UsageRecordInput,
  type UsageRollup,
  type UsageStore,
} from "../../gateway/usage/usage-record.ts";
import { monthSchema, roundUsd, usdSchema, utcMonth } from "../../gateway/values.ts";
import type { Bindings } from "./database.ts";

type RecordParams = Record<keyof UsageRecord, string | number | null>;

interface RollupParams {
  bucket: Bucket;
  key_id: string;
  model: string;
  bucket_start: string;
  requests: number;
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
 * bun:sqlite runs on the event loop, so a batch never holds it for long: records the ticket has not
 * checked are parsed this many at a time (a checked one costs a lookup, and no turn of the loop), and a transaction takes records until it has held the loop
 * for `transactionBudgetMs`, then commits, with the loop free between them. A request in flight waits
 * for one slice, never for a whole batch (writing 100 records at once held it for several ms, parsing
 * them for 0.3-5 ms: most of the proxy's p99 one request at a time). A commit costs about as much as
 * ten records' inserts (its WAL pages), so the budget, not a fixed count, decides: a quiet machine
 * commits dozens of records at a time, 10 per transaction cost about twice the CPU per record of 50
 * (45 against 20 µs in a usage write micro-benchmark). Each record still lands with its roll-ups and
 * spend in one transaction; a retried batch skips what landed.
 */
const recordsPerParse = 10;
const transactionBudgetMs = 1;

const loopTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The records as the store writes them, with the loop free after every `recordsPerParse` parsed. A
 * record the ticket checked comes back as itself; any other is parsed into a copy, which is how the
 * parses are counted.
 */
async function storableRecords(records: readonly UsageRecordInput[]): Promise<UsageRecord[]> {
  const storable: UsageRecord[] = [];
  let parsed = 0;
  for (const record of records) {
    const stored = storableUsageRecord(record);
    storable.push(stored);
    if (stored !== record && ++parsed % recordsPerParse === 0) await loopTurn();
  }
  if (parsed % recordsPerParse !== 0) await loopTurn();
  return storable;
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
     VALUES ($bucket, $bucket_start, $key_id, $model, $requests, $input_tokens, $output_tokens, $cache_read_input_tokens, $cache_creation_input_tokens, $cost_usd, $errors)
     ON CONFLICT (bucket, key_id, model, bucket_start) DO UPDATE SET
       requests = requests + excluded.requests,
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

  // One transaction per slice of a batch: its records, their roll-ups and their month spend land
  // together or not at all, so a record's cost is added to the spend exactly once. The roll-ups and
  // spend of the records that landed are summed first, one upsert per row they touch: one key's
  // requests to one model cost one INSERT per record and three upserts a transaction, not three or four
  // per record. Returns where the next slice starts.
  const writeSlice = db.transaction((records: readonly UsageRecord[], from: number): { next: number; written: number } => {
    const deadline = performance.now() + transactionBudgetMs;
    const landed: UsageRecord[] = [];
    let next = from;
    while (next < records.length) {
      const record = records[next++];
      if (record && insertRecord.run(record).changes > 0) landed.push(record);
      if (performance.now() >= deadline) break;
    }
    for (const row of rollupsOf(landed)) addToRollup.run(row);
    for (const row of spendOf(landed)) addToSpend.run(row);
    return { next, written: landed.length };
  });

  return {
    async writeUsage(records) {
      // Parsed before any transaction: one bad record fails the batch before anything is written.
      const parsed = await storableRecords(records);
      let written = 0;
      for (let next = 0; next < parsed.length; ) {
        if (next > 0) await loopTurn();
        const slice = writeSlice.immediate(parsed, next);
        next = slice.next;
        written += slice.written;
      }
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

/** The hour and day roll-up rows `records` add to, each with their sums. */
function rollupsOf(records: readonly UsageRecord[]): Iterable<RollupParams> {
  const rows = new Map<string, RollupParams>();
  for (const record of records) {
    for (const bucket of ["hour", "day"] as const) {
      const start = bucketStart(record.created_at, bucket);
      const id = `${bucket}\n${start}\n${record.key_id}\n${record.resolved_model}`;
      const row = rows.get(id);
      if (row) addRecord(row, record);
      else rows.set(id, addRecord({ ...emptySums, bucket, bucket_start: start, key_id: record.key_id, model: record.resolved_model }, record));
    }
  }
  return rows.values();
}

const emptySums = { requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0, errors: 0 };

function addRecord(row: RollupParams, record: UsageRecord): RollupParams {
  row.requests++;
  row.input_tokens += record.input_tokens;
  row.output_tokens += record.output_tokens;
  row.cache_read_input_tokens += record.cache_read_input_tokens;
  row.cache_creation_input_tokens += record.cache_creation_input_tokens;
  row.cost_usd += record.cost_usd;
  if (record.status >= 400) row.errors++;
  return row;
}

/** Each key's spend in each month, of the records that cost something. */
function spendOf(records: readonly UsageRecord[]): Iterable<{ key_id: string; month: string; usd: number }> {
  const rows = new Map<string, { key_id: string; month: string; usd: number }>();
  for (const record of records) {
    if (record.cost_usd <= 0) continue;
    const month = utcMonth(record.created_at);
    const id = `${record.key_id}\n${month}`;
    const row = rows.get(id);
    if (row) row.usd += record.cost_usd;
    else rows.set(id, { key_id: record.key_id, month, usd: record.cost_usd });
  }
  return rows.values();
}
