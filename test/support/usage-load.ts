import { BatchWriteItemCommand, type DynamoDBClient, UpdateItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import type { TableNames } from "../../src/store/dynamodb/tables.ts";
import { rollupSums, rollupUpdate, spendSums, spendUpdate, usageItem } from "../../src/store/dynamodb/usage-writes.ts";
import { type UsageRecord, usageRecordSchema } from "../../src/gateway/usage/usage-record.ts";

/**
 * Many usage records at once, for the overview's speed test: `syntheticUsage` makes them, and
 * `loadDynamoUsage` writes them to DynamoDB with batch writes, their roll-ups and spend summed first
 * (the items and sums of the store's own write path, without its per-record transactions, which
 * would take minutes for 100,000 records on DynamoDB Local).
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
