import { z } from "zod";
import { createDynamoDbClient } from "../src/store/dynamodb/client.ts";
import { createTables, defaultTablePrefix, tableNames } from "../src/store/dynamodb/tables.ts";

/**
 * `bun run setup:tables`: creates the gateway's DynamoDB tables where they are missing and waits
 * until they are ACTIVE. Safe to run again: existing tables are left as they are. Credentials come
 * from the default AWS chain (for DynamoDB Local any AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY do).
 */

const environmentSchema = z.object({
  DYNAMODB_ENDPOINT: z.url().optional(),
  DYNAMODB_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]*$/, "may hold only letters, digits, '_', '-' and '.'").default(defaultTablePrefix),
  AWS_REGION: z.string().min(1).default("us-east-1"),
});

const present = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined && value !== ""));
const parsed = environmentSchema.safeParse(present);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}

const { DYNAMODB_ENDPOINT: endpoint, DYNAMODB_TABLE_PREFIX: prefix, AWS_REGION: region } = parsed.data;
const names = tableNames(prefix);
const client = createDynamoDbClient({ endpoint, region });
try {
  await createTables(client, names);
  console.log(`DynamoDB tables ready${endpoint ? ` at ${endpoint}` : ` in ${region}`}: ${Object.values(names).join(", ")}`);
} catch (error) {
  console.error(`could not create the DynamoDB tables: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
