import { type DynamoDBClient, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { logRange, usageCursor, usageLogQuerySchema, type UsageQueryStore } from "../../gateway/usage/usage-queries.ts";
import type { UsageRecord } from "../../gateway/usage/usage-record.ts";
import { monthSchema, utcMonth } from "../../gateway/values.ts";
import { Expression, num, readNum, readStr, str } from "./attributes.ts";
import { newestItems } from "./newest.ts";
import { spendRankIndex, type TableNames, usageByMonthIndex, usageByKeyIndex } from "./tables.ts";
import { usageFromItem } from "./usage.ts";

type LogQuery = ReturnType<typeof usageLogQuerySchema.parse>;

export function dynamoUsageQueries(client: DynamoDBClient, tables: TableNames): UsageQueryStore {
  return {
    /**
     * One key's records from the by_key index; every key's from the by_month index, a month at a time
     * from the newest. Both ranges run on `key_time` (`{created_at}#{request_id}`, the cursor's own form).
     */
    async listUsage(input) {
      const query = usageLogQuerySchema.parse(input);
      const { from, to } = logRange(query);
      // BETWEEN is inclusive: `to` is a bare time no key_time equals; the cursor's own record is dropped below.
      const upper = query.cursor !== undefined && query.cursor < to ? query.cursor : to;
      const partitions = query.key_id !== undefined ? [{ index: usageByKeyIndex, name: "key_id", value: query.key_id }] : months(from, upper);
      const data: UsageRecord[] = [];
      for (const partition of partitions) {
        const wanted = query.limit - data.length + 1;
        const items = await newestItems(client, logQueryInput(tables.usage, partition, from, upper, query), wanted, hasFilter(query));
        for (const found of items) if (readStr(found, "key_time") !== query.cursor) data.push(usageFromItem(found));
        if (data.length >= query.limit) break;
      }
      const page = data.slice(0, query.limit);
      const last = page.at(-1);
      return { data: page, next_cursor: page.length === query.limit && last ? usageCursor(last) : null };
    },

    async topMonthSpend(month, limit) {
      const input: QueryCommandInput = {
        TableName: tables.spend,
        IndexName: spendRankIndex,
        KeyConditionExpression: "#month = :month",
        ExpressionAttributeNames: { "#month": "month" },
        ExpressionAttributeValues: { ":month": str(monthSchema.parse(month)) },
      };
      const items = await newestItems(client, input, Math.max(Math.trunc(limit), 0), false);
      return items.map((found) => ({ key_id: readStr(found, "key_id"), spend_usd: readNum(found, "spend_usd") }));
    },
  };
}

interface Partition {
  index: string;
  name: string;
  value: string;
}

/** The by_month partitions from the month of `upper` back to the month of `from`, newest first. */
function months(from: string, upper: string): Partition[] {
  const partitions: Partition[] = [];
  const cursor = new Date(`${upper.slice(0, 7)}-01T00:00:00.000Z`);
  while (utcMonth(cursor) >= utcMonth(from)) {
    partitions.push({ index: usageByMonthIndex, name: "log_month", value: utcMonth(cursor) });
    cursor.setUTCMonth(cursor.getUTCMonth() - 1);
  }
  return partitions;
}

function hasFilter(query: LogQuery): boolean {
  return query.model !== undefined || query.status !== undefined;
}

function logQueryInput(table: string, partition: Partition, from: string, upper: string, query: LogQuery): QueryCommandInput {
  const expression = new Expression();
  const keyTime = expression.name("key_time");
  const KeyConditionExpression = `${expression.name(partition.name)} = ${expression.value(str(partition.value))} AND ${keyTime} BETWEEN ${expression.value(str(from))} AND ${expression.value(str(upper))}`;
  const filters: string[] = [];
  if (query.model !== undefined) filters.push(`${expression.name("resolved_model")} = ${expression.value(str(query.model))}`);
  if (query.status === "error") filters.push(`${expression.name("status")} >= ${expression.value(num(400))}`);
  else if (query.status !== undefined) filters.push(`${expression.name("status")} = ${expression.value(num(query.status))}`);
  return {
    TableName: table,
    IndexName: partition.index,
    KeyConditionExpression,
    ...(filters.length > 0 && { FilterExpression: filters.join(" AND ") }),
    ...expression.attributes(),
  };
}
