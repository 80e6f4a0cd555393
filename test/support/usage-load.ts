import { BatchWriteItemCommand, type DynamoDBClient, UpdateItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import type { Store } from "../../src/gateway/store.ts";
import { type Overview, overview } from "../../src/gateway/usage/overview.ts";
import type { TableNames } from "../../src/store/dynamodb/tables.ts";
import { rollupSums, rollupUpdate, spendSums, spendUpdate, usageItem } from "../../src/store/dynamodb/usage-writes.ts";
import { type UsageRecord, usageRecordSchema } from "../../src/gateway/usage/usage-record.ts";

/**
 * Many usage records at once, for the overview's speed (test/store/overview-speed.test.ts and bench
 * phase 8): `syntheticUsage` makes them, `loadDynamoUsage` writes them to DynamoDB with batch writes,
 * their roll-ups and spend summed first (the items and sums of the store's own write path, without its
 * per-record transactions, which would take minutes for 100,000 records on DynamoDB Local), and
 * `timeOverview` times the portal's overview on them.
 */

/** `count` records over the `days` before `now`, newest last: 10 keys, 3 models, 2% errors. */
export function syntheticUsage(count: number, now: Date, days = 7): UsageRecord[] {
  const span = days * 86_400_000;
  return Array.from({ length: count }, (_, index) => {
    const failed = index % 50 === 0;
    return usageRecordSchema.parse({
      request_id: `load-${index}`,
      key_id: `key-${index % 10}`,
      created_at: new Date(now.getTime() - span + Math.floor((index * span) / count)).toISOString(),
      requested_model: "m",
      resolved_model: `model-${index % 3}`,
      input_tokens: 100 + (index % 900),
      output_tokens: 10 + (index % 500),
      cache_read_input_tokens: index % 7 === 0 ? 1000 : 0,
      cache_creation_input_tokens: 0,
      service_tier: "default",
      time_to_first_token_ms: failed ? null : 100 + (index % 400),
      latency_ms: 300 + (index % 2000),
      status: failed ? 500 : 200,
      error_type: failed ? "api_error" : null,
      cost_usd: failed ? 0 : 0.0001 * (1 + (index % 13)),
    });
  });
}

/** Through the store's own writes (SQLite takes 100,000 in seconds), 5,000 a batch. */
export async function writeUsageInBatches(store: Store, records: readonly UsageRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += 5_000) await store.writeUsage(records.slice(start, start + 5_000));
}

/** DynamoDB's limit of items in one BatchWriteItem. */
const batchItems = 25;
const concurrency = 16;

export async function loadDynamoUsage(client: DynamoDBClient, tables: TableNames, records: readonly UsageRecord[]): Promise<void> {
  const batches: UsageRecord[][] = [];
  for (let start = 0; start < records.length; start += batchItems) batches.push(records.slice(start, start + batchItems));
  await inParallel(batches, async (batch) => {
    let pending: Record<string, WriteRequest[]> = { [tables.usage]: batch.map((record) => ({ PutRequest: { Item: usageItem(record) } })) };
    while (Object.keys(pending).length > 0) pending = (await client.send(new BatchWriteItemCommand({ RequestItems: pending }))).UnprocessedItems ?? {};
  });
  const updates = [...rollupSums(records).map((sum) => rollupUpdate(tables.rollups, sum)), ...spendSums(records).map((sum) => spendUpdate(tables.spend, sum.key_id, sum.month, sum.cost_usd))];
  await inParallel(updates, (update) => client.send(new UpdateItemCommand(update)));
}

async function inParallel<T>(items: readonly T[], run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface OverviewTimes {
  /** The warm-up's answer, for a test to check what was timed. */
  warm: Overview;
  /** Each timed run, in ms, fastest first. */
  sorted: number[];
}

/**
 * The overview over `store`'s usage as the portal asks for it (hourly, the last day), `runs` times
 * after one warm-up; a key with a budget it has overspent is added first, so the budget table has a row.
 */
export async function timeOverview(store: Store, now: Date, runs = 5): Promise<OverviewTimes> {
  await store.createKey({ id: "key-0", key_hash: "0".repeat(64), key_prefix: "sk-0", name: "budgeted", monthly_budget_usd: 0.01 });
  const warm = await overview(store, {}, now);
  const sorted: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await overview(store, {}, now);
    sorted.push(performance.now() - started);
  }
  return { warm, sorted: sorted.sort((a, b) => a - b) };
}
