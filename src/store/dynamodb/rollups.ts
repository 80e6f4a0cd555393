import { type DynamoDBClient, paginateQuery, paginateScan, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import type { z } from "zod";
import { type Bucket, bucketSchema, bucketStart, type rollupQuerySchema, type UsageRollup } from "../../gateway/usage/usage-record.ts";
import { compareText, Expression, type Item, readNum, readOptNum, readStr, str } from "./attributes.ts";
import { rollupsByPeriodIndex, type TableNames } from "./tables.ts";

/**
 * Roll-up items: pk = `{bucket}#{key_id}`, sk = `{bucket_start}#{model}`, and `period` for the
 * by_period index. One key's roll-ups are one partition; every key's over a range are one index
 * partition per UTC day (hour buckets) or month (day buckets).
 */

/** What identifies a roll-up item. */
export type RollupTarget = Pick<UsageRollup, "bucket" | "bucket_start" | "key_id" | "model">;

export function rollupKey(target: RollupTarget): Item {
  return { pk: str(`${target.bucket}#${target.key_id}`), sk: str(`${target.bucket_start}#${target.model}`) };
}

/** The by_period partition of a bucket: `hour#YYYY-MM-DD` or `day#YYYY-MM`. */
export function rollupPeriod(bucket: Bucket, bucketStartTime: string): string {
  return `${bucket}#${bucketStartTime.slice(0, bucket === "hour" ? 10 : 7)}`;
}

type Query = z.infer<typeof rollupQuerySchema>;

/** By_period partitions queried at once. */
const periodConcurrency = 8;
/** Past this many partitions (a year of hour buckets) one scan costs less than the queries. */
const maxPeriodQueries = 366;

export async function queryRollupItems(client: DynamoDBClient, tables: TableNames, query: Query): Promise<UsageRollup[]> {
  const rows = query.key_id !== undefined ? await ofKey(query.key_id) : await ofEveryKey();
  return rows.sort((a, b) => compareText(a.bucket_start, b.bucket_start) || compareText(a.key_id, b.key_id) || compareText(a.model, b.model));

  function ofKey(keyId: string): Promise<UsageRollup[]> {
    const expression = new Expression();
    const partition = `${expression.name("pk")} = ${expression.value(str(`${query.bucket}#${keyId}`))}`;
    return collect({ TableName: tables.rollups, KeyConditionExpression: partition + rangeCondition(expression), ...modelFilter(expression) });
  }

  async function ofEveryKey(): Promise<UsageRollup[]> {
    const periods = query.from !== undefined && query.to !== undefined ? periodsBetween(query.bucket, query.from, query.to) : undefined;
    if (periods === undefined || periods.length > maxPeriodQueries) return scan();
    const rows: UsageRollup[] = [];
    for (let start = 0; start < periods.length; start += periodConcurrency) {
      const batch = periods.slice(start, start + periodConcurrency).map((period) => {
        const expression = new Expression();
        const partition = `${expression.name("period")} = ${expression.value(str(period))}`;
        return collect({
          TableName: tables.rollups,
          IndexName: rollupsByPeriodIndex,
          KeyConditionExpression: partition + rangeCondition(expression),
          ...modelFilter(expression),
        });
      });
      for (const found of await Promise.all(batch)) rows.push(...found);
    }
    return rows;
  }

  async function scan(): Promise<UsageRollup[]> {
    const expression = new Expression();
    const conditions = [`${expression.name("bucket")} = ${expression.value(str(query.bucket))}`];
    if (query.model !== undefined) conditions.push(`${expression.name("model")} = ${expression.value(str(query.model))}`);
    if (query.from !== undefined) conditions.push(`${expression.name("bucket_start")} >= ${expression.value(str(query.from))}`);
    if (query.to !== undefined) conditions.push(`${expression.name("bucket_start")} < ${expression.value(str(query.to))}`);
    const rows: UsageRollup[] = [];
    const pages = paginateScan({ client }, { TableName: tables.rollups, FilterExpression: conditions.join(" AND "), ...expression.attributes() });
    for await (const page of pages) for (const found of page.Items ?? []) rows.push(rollupFromItem(found));
    return rows;
  }

  /**
   * The range on the sort key `{bucket_start}#{model}`: `>= from` keeps buckets starting at or after
   * `from`; no sort key equals a bare time, so `BETWEEN from AND to` (or `< to`) stops just before `to`.
   */
  function rangeCondition(expression: Expression): string {
    const { from, to } = query;
    if (from !== undefined && to !== undefined) return ` AND ${expression.name("sk")} BETWEEN ${expression.value(str(from))} AND ${expression.value(str(to))}`;
    if (from !== undefined) return ` AND ${expression.name("sk")} >= ${expression.value(str(from))}`;
    if (to !== undefined) return ` AND ${expression.name("sk")} < ${expression.value(str(to))}`;
    return "";
  }

  function modelFilter(expression: Expression) {
    const filter = query.model === undefined ? {} : { FilterExpression: `${expression.name("model")} = ${expression.value(str(query.model))}` };
    return { ...filter, ...expression.attributes() };
  }

  async function collect(input: QueryCommandInput): Promise<UsageRollup[]> {
    const rows: UsageRollup[] = [];
    for await (const page of paginateQuery({ client }, input)) for (const found of page.Items ?? []) rows.push(rollupFromItem(found));
    return rows;
  }
}

/** The by_period partitions that can hold buckets starting in [from, to). */
function periodsBetween(bucket: Bucket, from: string, to: string): string[] {
  const periods: string[] = [];
  const cursor = new Date(bucketStart(from, "day"));
  if (bucket === "day") cursor.setUTCDate(1);
  while (cursor.toISOString() < to) {
    periods.push(rollupPeriod(bucket, cursor.toISOString()));
    if (bucket === "hour") cursor.setUTCDate(cursor.getUTCDate() + 1);
    else cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return periods;
}

function rollupFromItem(from: Item): UsageRollup {
  return {
    bucket: bucketSchema.parse(readStr(from, "bucket")),
    bucket_start: readStr(from, "bucket_start"),
    key_id: readStr(from, "key_id"),
    model: readStr(from, "model"),
    requests: readNum(from, "requests"),
    input_tokens: readNum(from, "input_tokens"),
    output_tokens: readNum(from, "output_tokens"),
    cache_read_input_tokens: readNum(from, "cache_read_input_tokens"),
    cache_creation_input_tokens: readNum(from, "cache_creation_input_tokens"),
    cost_usd: readNum(from, "cost_usd"),
    // Roll-ups bumped before errors were counted have no such attribute.
    errors: readOptNum(from, "errors") ?? 0,
  };
}
