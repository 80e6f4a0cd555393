import { type DynamoDBClient, type TransactWriteItem, TransactionCanceledException, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { bucketStart, roundUsd, type UsageRecord, type UsageWriteResult } from "../types.ts";
import { Expression, type Item, item, num, optNum, optStr, str } from "./attributes.ts";
import { type RollupTarget, rollupKey, rollupPeriod } from "./rollups.ts";
import type { TableNames } from "./tables.ts";

/**
 * The idempotent usage write. Each record's conditional put (no record with its request id yet) goes
 * in ONE TransactWriteItems with the ADDs to its hour and day roll-ups, so a record and its share of
 * the roll-ups land together or not at all, and a record that already landed cancels the transaction
 * before anything is counted. Records are grouped so a transaction stays within DynamoDB's 100
 * items: a group's records and the roll-ups they touch (each roll-up once, with the group's sums).
 * When some of a group's records had landed before (a retried or overlapping batch), the cancellation
 * names them; the group is written again without them.
 */

/** DynamoDB's limit of items in one TransactWriteItems. */
const maxTransactionItems = 100;
/** Retries of a group that lost a race with another writer on a roll-up (TransactionConflict). */
const conflictRetries = 5;

export async function writeUsageRecords(client: DynamoDBClient, tables: TableNames, records: readonly UsageRecord[]): Promise<UsageWriteResult> {
  // A request id given twice in one batch counts once: the first record given is the one written.
  const firstById = new Map<string, UsageRecord>();
  for (const record of records) if (!firstById.has(record.request_id)) firstById.set(record.request_id, record);
  const result: UsageWriteResult = { written: 0, duplicates: records.length - firstById.size };
  // One group after another: two groups in flight could touch the same roll-up and conflict.
  for (const group of groups([...firstById.values()])) {
    const written = await writeGroup(client, tables, group);
    result.written += written.written;
    result.duplicates += written.duplicates;
  }
  return result;
}

/** Greedy grouping in order: a group's puts plus its distinct roll-ups never pass the limit. */
function groups(records: readonly UsageRecord[]): UsageRecord[][] {
  const result: UsageRecord[][] = [];
  let group: UsageRecord[] = [];
  let rollups = new Set<string>();
  for (const record of records) {
    const targets = rollupTargets(record).map(targetId);
    const added = targets.filter((id) => !rollups.has(id)).length;
    if (group.length > 0 && group.length + 1 + rollups.size + added > maxTransactionItems) {
      result.push(group);
      group = [];
      rollups = new Set();
    }
    group.push(record);
    for (const id of targets) rollups.add(id);
  }
  if (group.length > 0) result.push(group);
  return result;
}

async function writeGroup(client: DynamoDBClient, tables: TableNames, records: readonly UsageRecord[]): Promise<UsageWriteResult> {
  let pending = records;
  let duplicates = 0;
  for (let conflicts = 0; pending.length > 0; ) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: transactItems(tables, pending) }));
      return { written: pending.length, duplicates };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      // The puts come first, in the order of `pending`: reason i is record i's.
      const landed = new Set(pending.filter((_, index) => reasons[index]?.Code === "ConditionalCheckFailed"));
      if (landed.size > 0) {
        duplicates += landed.size;
        pending = pending.filter((record) => !landed.has(record));
        continue;
      }
      const transient = reasons.some((reason) => reason.Code === "TransactionConflict" || reason.Code === "ThrottlingError");
      if (!transient || conflicts >= conflictRetries) throw error;
      await Bun.sleep(Math.random() * 20 * 2 ** conflicts++);
    }
  }
  return { written: 0, duplicates };
}

function transactItems(tables: TableNames, records: readonly UsageRecord[]): TransactWriteItem[] {
  const puts: TransactWriteItem[] = records.map((record) => ({
    Put: { TableName: tables.usage, Item: usageItem(record), ConditionExpression: "attribute_not_exists(request_id)" },
  }));
  const sums = new Map<string, RollupSum>();
  for (const record of records) {
    for (const target of rollupTargets(record)) {
      const id = targetId(target);
      const sum = sums.get(id) ?? { ...target, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0 };
      sum.requests += 1;
      sum.input_tokens += record.input_tokens;
      sum.output_tokens += record.output_tokens;
      sum.cache_read_input_tokens += record.cache_read_input_tokens;
      sum.cache_creation_input_tokens += record.cache_creation_input_tokens;
      sum.cost_usd = roundUsd(sum.cost_usd + record.cost_usd);
      sums.set(id, sum);
    }
  }
  return [...puts, ...[...sums.values()].map((sum) => ({ Update: rollupUpdate(tables.rollups, sum) }))];
}

interface RollupSum extends RollupTarget {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

function rollupTargets(record: UsageRecord): RollupTarget[] {
  return (["hour", "day"] as const).map((bucket) => ({ bucket, bucket_start: bucketStart(record.created_at, bucket), key_id: record.key_id, model: record.resolved_model }));
}

function targetId(target: RollupTarget): string {
  return `${target.bucket}\u0000${target.key_id}\u0000${target.bucket_start}\u0000${target.model}`;
}

function rollupUpdate(table: string, sum: RollupSum) {
  const expression = new Expression();
  const UpdateExpression = expression.update({
    set: {
      bucket: str(sum.bucket),
      bucket_start: str(sum.bucket_start),
      key_id: str(sum.key_id),
      model: str(sum.model),
      period: str(rollupPeriod(sum.bucket, sum.bucket_start)),
    },
    add: {
      requests: num(sum.requests),
      input_tokens: num(sum.input_tokens),
      output_tokens: num(sum.output_tokens),
      cache_read_input_tokens: num(sum.cache_read_input_tokens),
      cache_creation_input_tokens: num(sum.cache_creation_input_tokens),
      cost_usd: num(sum.cost_usd),
    },
  });
  return { TableName: table, Key: rollupKey(sum), UpdateExpression, ...expression.attributes() };
}

/** The usage item; `key_time` orders a key's records for the by_key index (newest last). */
export function usageItem(record: UsageRecord): Item {
  return item({
    request_id: str(record.request_id),
    key_id: str(record.key_id),
    key_time: str(`${record.created_at}#${record.request_id}`),
    created_at: str(record.created_at),
    requested_model: str(record.requested_model),
    resolved_model: str(record.resolved_model),
    input_tokens: num(record.input_tokens),
    output_tokens: num(record.output_tokens),
    cache_read_input_tokens: num(record.cache_read_input_tokens),
    cache_creation_input_tokens: num(record.cache_creation_input_tokens),
    service_tier: str(record.service_tier),
    time_to_first_token_ms: optNum(record.time_to_first_token_ms),
    latency_ms: num(record.latency_ms),
    status: num(record.status),
    error_type: optStr(record.error_type),
    cost_usd: num(record.cost_usd),
  });
}
