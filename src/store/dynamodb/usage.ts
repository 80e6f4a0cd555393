import { type DynamoDBClient, GetItemCommand, paginateQuery, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { latestLimit, rollupQuerySchema, storableUsageRecord, type UsageRecord, usageRecordSchema, type UsageStore } from "../../gateway/usage/usage-record.ts";
import { monthSchema, roundUsd, usdSchema } from "../../gateway/values.ts";
import { type Item, readNum, readOptNum, readOptStr, readStr, str } from "./attributes.ts";
import { queryRollupItems } from "./rollups.ts";
import { type TableNames, usageByKeyIndex } from "./tables.ts";
import { spendKey, spendUpdate, writeUsageRecords } from "./usage-writes.ts";

export function dynamoUsageStore(client: DynamoDBClient, tables: TableNames): UsageStore {
  return {
    async writeUsage(records) {
      return writeUsageRecords(client, tables, records.map(storableUsageRecord));
    },

    async getUsage(requestId) {
      const { Item: found } = await client.send(new GetItemCommand({ TableName: tables.usage, Key: { request_id: str(requestId) }, ConsistentRead: true }));
      return found ? usageFromItem(found) : undefined;
    },

    async latestUsage(keyId, limit) {
      const wanted = latestLimit(limit);
      const records: UsageRecord[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName: tables.usage,
          IndexName: usageByKeyIndex,
          KeyConditionExpression: "key_id = :key_id",
          ExpressionAttributeValues: { ":key_id": str(keyId) },
          ScanIndexForward: false,
          Limit: wanted,
        },
      );
      for await (const page of pages) {
        for (const found of page.Items ?? []) records.push(usageFromItem(found));
        if (records.length >= wanted) break;
      }
      return records.slice(0, wanted);
    },

    async queryRollups(input) {
      return queryRollupItems(client, tables, rollupQuerySchema.parse(input));
    },

    async addMonthSpend(keyId, month, usd) {
      const { Attributes: updated } = await client.send(
        new UpdateItemCommand({ ...spendUpdate(tables.spend, keyId, monthSchema.parse(month), roundUsd(usdSchema.parse(usd))), ReturnValues: "UPDATED_NEW" }),
      );
      if (!updated) throw new Error("UpdateItem returned no attributes");
      return readNum(updated, "spend_usd");
    },

    async getMonthSpend(keyId, month) {
      const { Item: found } = await client.send(
        new GetItemCommand({ TableName: tables.spend, Key: spendKey(keyId, monthSchema.parse(month)), ConsistentRead: true }),
      );
      return found ? readNum(found, "spend_usd") : 0;
    },

    async listMonthSpend(keyId) {
      const months = [];
      const pages = paginateQuery(
        { client },
        { TableName: tables.spend, KeyConditionExpression: "key_id = :key_id", ExpressionAttributeValues: { ":key_id": str(keyId) }, ConsistentRead: true },
      );
      for await (const page of pages) for (const found of page.Items ?? []) months.push({ month: readStr(found, "month"), spend_usd: readNum(found, "spend_usd") });
      return months;
    },
  };
}

export function usageFromItem(from: Item): UsageRecord {
  return {
    request_id: readStr(from, "request_id"),
    key_id: readStr(from, "key_id"),
    created_at: readStr(from, "created_at"),
    requested_model: readStr(from, "requested_model"),
    resolved_model: readStr(from, "resolved_model"),
    input_tokens: readNum(from, "input_tokens"),
    output_tokens: readNum(from, "output_tokens"),
    cache_read_input_tokens: readNum(from, "cache_read_input_tokens"),
    cache_creation_input_tokens: readNum(from, "cache_creation_input_tokens"),
    service_tier: usageRecordSchema.shape.service_tier.parse(readStr(from, "service_tier")),
    time_to_first_token_ms: readOptNum(from, "time_to_first_token_ms"),
    latency_ms: readNum(from, "latency_ms"),
    status: readNum(from, "status"),
    error_type: readOptStr(from, "error_type"),
    cost_usd: readNum(from, "cost_usd"),
  };
}
