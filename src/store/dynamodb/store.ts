import { BatchGetItemCommand } from "@aws-sdk/client-dynamodb";
import type { Store } from "../../gateway/store.ts";
import { dynamoAliasStore } from "./aliases.ts";
import { dynamoAuditStore } from "./audit.ts";
import { createDynamoDbClient, type DynamoDbConnection } from "./client.ts";
import { dynamoKeyStore } from "./keys.ts";
import { dynamoPricingStore } from "./pricing.ts";
import { createTables, tableNames } from "./tables.ts";
import { dynamoUsageQueries } from "./usage-queries.ts";
import { dynamoUsageStore } from "./usage.ts";

export interface DynamoDbStoreOptions extends DynamoDbConnection {
  /** Prepended to every table name (`proxy-` → `proxy-keys`, `proxy-usage`, …). */
  tablePrefix: string;
  /** Create missing tables before the store is used (as `bun run setup:tables` does). */
  createTables: boolean;
}

/** The DynamoDB store: seven tables (see tables.ts), the low-level client, strongly consistent reads. */
export async function openDynamoDbStore(options: DynamoDbStoreOptions): Promise<Store> {
  const client = createDynamoDbClient(options);
  const tables = tableNames(options.tablePrefix);
  if (options.createTables) await createTables(client, tables);
  // One read of a key that never exists, in every table: it fails when the endpoint, the credentials
  // or any table is missing, and costs no more than a read.
  const probe = { S: "ready-probe" };
  const readiness = new BatchGetItemCommand({
    RequestItems: {
      [tables.keys]: { Keys: [{ pk: probe }] },
      [tables.usage]: { Keys: [{ request_id: probe }] },
      [tables.rollups]: { Keys: [{ pk: probe, sk: probe }] },
      [tables.spend]: { Keys: [{ key_id: probe, month: probe }] },
      [tables.prices]: { Keys: [{ model_id: probe }] },
      [tables.aliases]: { Keys: [{ alias: probe }] },
      [tables.audit]: { Keys: [{ pk: probe, sk: probe }] },
    },
  });
  return {
    kind: "dynamodb",
    ...dynamoKeyStore(client, tables.keys),
    ...dynamoUsageStore(client, tables),
    ...dynamoPricingStore(client, tables.prices),
    ...dynamoAliasStore(client, tables.aliases),
    ...dynamoUsageQueries(client, tables),
    ...dynamoAuditStore(client, tables.audit),
    async ready() {
      await client.send(readiness);
    },
    async close() {
      client.destroy();
    },
  };
}
