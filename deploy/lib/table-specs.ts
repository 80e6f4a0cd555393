/**
 * The DynamoDB tables the proxy's store expects (src/store/dynamodb/tables.ts), restated here because
 * deploy/ imports nothing of src/; test/deploy/tables.test.ts proves the two agree. The store creates
 * no time-to-live attribute: expired keys are refused by the gateway and usage is kept.
 */

export type AttributeType = "S" | "N";

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface TableSpec {
  /** The name after DYNAMODB_TABLE_PREFIX. */
  suffix: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Global secondary indexes, each projecting every attribute. */
  indexes: { name: string; partitionKey: KeyAttribute; sortKey: KeyAttribute }[];
}

const text = (name: string): KeyAttribute => ({ name, type: "S" });

export const tableSpecs: TableSpec[] = [
  { suffix: "keys", partitionKey: text("pk"), indexes: [] },
  {
    suffix: "usage",
    partitionKey: text("request_id"),
    indexes: [
      { name: "by_key", partitionKey: text("key_id"), sortKey: text("key_time") },
      { name: "by_month", partitionKey: text("log_month"), sortKey: text("key_time") },
    ],
  },
  { suffix: "rollups", partitionKey: text("pk"), sortKey: text("sk"), indexes: [{ name: "by_period", partitionKey: text("period"), sortKey: text("sk") }] },
  {
    suffix: "spend",
    partitionKey: text("key_id"),
    sortKey: text("month"),
    indexes: [{ name: "by_spend", partitionKey: text("month"), sortKey: { name: "spend_usd", type: "N" } }],
  },
  { suffix: "prices", partitionKey: text("model_id"), indexes: [] },
  { suffix: "aliases", partitionKey: text("alias"), indexes: [] },
  { suffix: "audit", partitionKey: text("pk"), sortKey: text("sk"), indexes: [{ name: "by_target", partitionKey: text("target"), sortKey: text("sk") }] },
];
