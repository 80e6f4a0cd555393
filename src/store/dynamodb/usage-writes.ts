import { type DynamoDBClient, type TransactWriteItem, TransactionCanceledException, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { usageCursor } from "../../gateway/usage/usage-queries.ts";
import { bucketStart, type UsageRecord, type UsageRollup, type UsageWriteResult } from "../../gateway/usage/usage-record.ts";
import { roundUsd, utcMonth } from "../../gateway/values.ts";
import { Expression, type Item, item, num, optNum, optStr, str } from "./attributes.ts";
import { type RollupTarget, rollupKey, rollupPeriod } from "./rollups.ts";
import type { TableNames } from "./tables.ts";

/**
 * The idempotent usage write. Each record's conditional put (no record with its request id yet) goes
 * in ONE TransactWriteItems with the ADDs to its hour and day roll-ups and to its key's month spend,
 * so a record and its shares land together or not at all, and a record that already landed cancels
 * the transaction before anything is counted. Records are grouped so a transaction stays within
 * DynamoDB's 100 items: a group's records and the shared items they add to (each roll-up and each
 * key's month spend once, with the group's sums). When some of a group's records had landed before
 * (a retried or overlapping batch), the cancellation names them; the group is written again without
 * them, and the sums are taken again without them.
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

/** Greedy grouping in order: a group's puts plus the distinct items they add to never pass the limit. */
function groups(records: readonly UsageRecord[]): UsageRecord[][] {
  const result: UsageRecord[][] = [];
  let group: UsageRecord[] = [];
  let shared = new Set<string>();
  for (const record of records) {
    const targets = sharedItemIds(record);
    const added = targets.filter((id) => !shared.has(id)).length;
    if (group.length > 0 && group.length + 1 + shared.size + added > maxTransactionItems) {
      result.push(group);
      group = [];
      shared = new Set();
    }
    group.push(record);
    for (const id of targets) shared.add(id);
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

/** The records' puts first (cancellation reasons are matched to them by index), then the ADDs. */
function transactItems(tables: TableNames, records: readonly UsageRecord[]): TransactWriteItem[] {
  const puts: TransactWriteItem[] = records.map((record) => ({
    Put: { TableName: tables.usage, Item: usageItem(record), ConditionExpression: "attribute_not_exists(request_id)" },
  }));
  const rollups = rollupSums(records).map((sum) => ({ Update: rollupUpdate(tables.rollups, sum) }));
  const spends = spendSums(records).map((sum) => ({ Update: spendUpdate(tables.spend, sum.key_id, sum.month, sum.cost_usd) }));
  return [...puts, ...rollups, ...spends];
}

export function rollupSums(records: readonly UsageRecord[]): RollupSum[] {
  const sums = new Map<string, RollupSum>();
  for (const record of records) {
    for (const target of rollupTargets(record)) {
      const id = targetId(target);
      const sum = sums.get(id) ?? { ...target, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0, errors: 0 };
      sum.requests += 1;
      sum.input_tokens += record.input_tokens;
      sum.output_tokens += record.output_tokens;
      sum.cache_read_input_tokens += record.cache_read_input_tokens;
      sum.cache_creation_input_tokens += record.cache_creation_input_tokens;
      sum.cost_usd = roundUsd(sum.cost_usd + record.cost_usd);
      if (record.status >= 400) sum.errors += 1;
      sums.set(id, sum);
    }
  }
  return [...sums.values()];
}

/** One sum per key and month, so a transaction touches each spend item once. */
export function spendSums(records: readonly UsageRecord[]): SpendSum[] {
  const sums = new Map<string, SpendSum>();
  for (const record of records) {
    const target = spendTarget(record);
    if (target === undefined) continue;
    const id = spendId(target);
    const sum = sums.get(id) ?? { ...target, cost_usd: 0 };
    sum.cost_usd = roundUsd(sum.cost_usd + record.cost_usd);
    sums.set(id, sum);
  }
  return [...sums.values()];
}

/** A roll-up's increments: the same fields as the roll-up itself. */
export type RollupSum = UsageRollup;

/** A key's spend in one UTC month: the item `addMonthSpend` and `writeUsage` add to. */
interface SpendTarget {
  key_id: string;
  month: string;
}

export interface SpendSum extends SpendTarget {
  cost_usd: number;
}

/** The items a record adds to besides its own: its two roll-ups and, when it cost something, its month spend. */
function sharedItemIds(record: UsageRecord): string[] {
  const ids = rollupTargets(record).map(targetId);
  const spend = spendTarget(record);
  if (spend !== undefined) ids.push(spendId(spend));
  return ids;
}

/** Undefined for a record without cost: it adds nothing to the spend. */
function spendTarget(record: UsageRecord): SpendTarget | undefined {
  return record.cost_usd > 0 ? { key_id: record.key_id, month: utcMonth(record.created_at) } : undefined;
}

function spendId(target: SpendTarget): string {
  return `spend\u0000${target.key_id}\u0000${target.month}`;
}

function rollupTargets(record: UsageRecord): RollupTarget[] {
  return (["hour", "day"] as const).map((bucket) => ({ bucket, bucket_start: bucketStart(record.created_at, bucket), key_id: record.key_id, model: record.resolved_model }));
}

function targetId(target: RollupTarget): string {
  return `${target.bucket}\u0000${target.key_id}\u0000${target.bucket_start}\u0000${target.model}`;
}

export function rollupUpdate(table: string, sum: RollupSum) {
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
      errors: num(sum.errors),
    },
  });
  return { TableName: table, Key: rollupKey(sum), UpdateExpression, ...expression.attributes() };
}

export function spendKey(keyId: string, month: string): Item {
  return { key_id: str(keyId), month: str(month) };
}

/** ADD is atomic on the item: concurrent adds from any number of gateways all count. */
export function spendUpdate(table: string, keyId: string, month: string, usd: number) {
  const ExpressionAttributeValues = { ":usd": num(usd) };
  return { TableName: table, Key: spendKey(keyId, month), UpdateExpression: "ADD spend_usd :usd", ExpressionAttributeValues };
}

/**
 * The usage item; `key_time` orders a key's records for the by_key index (newest last), and with
 * `log_month` (`YYYY-MM`) every key's records for the by_month index (the request log across keys).
 */
export function usageItem(record: UsageRecord): Item {
  return item({
    request_id: str(record.request_id),
    key_id: str(record.key_id),
    key_time: str(usageCursor(record)),
    log_month: str(utcMonth(record.created_at)),
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
