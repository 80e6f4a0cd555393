import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";

/**
 * The tables and their keys, one per access pattern (all on-demand capacity):
 *
 * - keys      pk = `key#{id}` → the key; pk = `hash#{sha256}` → `{key_id}`. The hash item makes the
 *             hash unique (both are put in one transaction) and the auth lookup a consistent read.
 *             Listing scans the `key#` items (keys number in the thousands at most).
 * - usage     request_id → the record; the conditional put on it is what makes usage writes
 *             idempotent. GSI by_key (key_id, key_time = `{created_at}#{request_id}`): latest per key;
 *             GSI by_month (log_month = `YYYY-MM`, key_time): the request log across keys, one partition
 *             a month (records written before this index existed have no `log_month` and stay out of it;
 *             every write of the moment goes to one index partition, which AWS serves up to about 1,000
 *             records a second).
 * - rollups   pk = `{bucket}#{key_id}`, sk = `{bucket_start}#{model}`: counters bumped with ADD in the
 *             same transaction as the record put. GSI by_period (period = `hour#{YYYY-MM-DD}` or
 *             `day#{YYYY-MM}`, sk): every key's roll-ups over a time range, one partition per day or
 *             month so no partition runs hot.
 * - spend     key_id, month → spend_usd, bumped with ADD (atomic, returns the new total). GSI by_spend
 *             (month, spend_usd): the month's spenders, largest first.
 * - prices    model_id → prices.
 * - aliases   alias → model_id.
 * - audit     pk = `audit`, sk = `{at}#{id}`: the audit log newest first (one partition: operators'
 *             changes are few). GSI by_target (target, sk): one key's, price's or alias's changes.
 *
 * `createTables` also adds an index a table made by an older release lacks.
 */

export interface TableNames {
  keys: string;
  usage: string;
  rollups: string;
  spend: string;
  prices: string;
  aliases: string;
  audit: string;
}

/** DYNAMODB_TABLE_PREFIX when unset: `bedrock-proxy-keys`, `bedrock-proxy-usage`, … */
export const defaultTablePrefix = "bedrock-proxy-";

export const usageByKeyIndex = "by_key";
export const rollupsByPeriodIndex = "by_period";
export const usageByMonthIndex = "by_month";
export const spendRankIndex = "by_spend";
export const auditByTargetIndex = "by_target";
/** The one partition of the audit table. */
export const auditPartition = "audit";

export function tableNames(prefix: string): TableNames {
  return {
    keys: `${prefix}keys`,
    usage: `${prefix}usage`,
    rollups: `${prefix}rollups`,
    spend: `${prefix}spend`,
    prices: `${prefix}prices`,
    aliases: `${prefix}aliases`,
    audit: `${prefix}audit`,
  };
}

type Definition = CreateTableCommandInput & { TableName: string };

function hashKeyTable(name: string, key: string): Definition {
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: key, AttributeType: "S" }],
    KeySchema: [{ AttributeName: key, KeyType: "HASH" }],
  };
}

export function tableDefinitions(names: TableNames): Definition[] {
  return [
    hashKeyTable(names.keys, "pk"),
    {
      ...hashKeyTable(names.usage, "request_id"),
      AttributeDefinitions: [
        { AttributeName: "request_id", AttributeType: "S" },
        { AttributeName: "key_id", AttributeType: "S" },
        { AttributeName: "key_time", AttributeType: "S" },
        { AttributeName: "log_month", AttributeType: "S" },
      ],
      GlobalSecondaryIndexes: [index(usageByKeyIndex, "key_id", "key_time"), index(usageByMonthIndex, "log_month", "key_time")],
    },
    {
      TableName: names.rollups,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "period", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: rollupsByPeriodIndex,
          KeySchema: [
            { AttributeName: "period", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    },
    {
      TableName: names.spend,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "key_id", AttributeType: "S" },
        { AttributeName: "month", AttributeType: "S" },
        { AttributeName: "spend_usd", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "key_id", KeyType: "HASH" },
        { AttributeName: "month", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [index(spendRankIndex, "month", "spend_usd")],
    },
    hashKeyTable(names.prices, "model_id"),
    hashKeyTable(names.aliases, "alias"),
    {
      TableName: names.audit,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "target", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [index(auditByTargetIndex, "target", "sk")],
    },
  ];
}

function index(name: string, hash: string, range: string) {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: hash, KeyType: "HASH" as const },
      { AttributeName: range, KeyType: "RANGE" as const },
    ],
    Projection: { ProjectionType: "ALL" as const },
  };
}

/** How long a new table may take to become ACTIVE (AWS takes seconds, DynamoDB Local none). */
const activeTimeoutMs = 300_000;

/**
 * Creates every missing table and waits until all are ACTIVE, indexes included. Idempotent: a table
 * that exists (ResourceInUseException) is left as it is.
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    tableDefinitions(names).map(async (definition) => {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        await waitUntilActive(client, definition.TableName);
        await addMissingIndexes(client, definition);
      }
      await waitUntilActive(client, definition.TableName);
    }),
  );
}

/** An existing table gains the indexes of its definition it lacks, one at a time (DynamoDB's rule). */
async function addMissingIndexes(client: DynamoDBClient, definition: Definition): Promise<void> {
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  const existing = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const wanted of definition.GlobalSecondaryIndexes ?? []) {
    if (existing.has(wanted.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({ TableName: definition.TableName, AttributeDefinitions: definition.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: wanted }] }),
    );
    await waitUntilActive(client, definition.TableName);
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + activeTimeoutMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE");
    if (table?.TableStatus === "ACTIVE" && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`DynamoDB table ${tableName} is not ACTIVE after ${activeTimeoutMs / 1000} s`);
    await Bun.sleep(delayMs);
  }
}
