import { expect, test } from "bun:test";
import { tableDefinitions, tableNames } from "../../src/store/dynamodb/tables.ts";
import { environmentOf, resources, synthesize, templateOf } from "./synthesize.ts";

/**
 * The tables deploy/ creates are exactly those the DynamoDB store creates for itself
 * (src/store/dynamodb/tables.ts: names, keys, attribute types, indexes), on demand and with
 * point-in-time recovery; the store sets no time-to-live, and neither does the stack.
 */

type KeySchema = { AttributeName: string; KeyType: string }[];

function normalised(table: {
  TableName?: unknown;
  KeySchema?: unknown;
  AttributeDefinitions?: unknown;
  GlobalSecondaryIndexes?: unknown;
}) {
  const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
  const indexes = (table.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: KeySchema; Projection: { ProjectionType: string } }[];
  return {
    name: table.TableName,
    keys: table.KeySchema,
    attributes: [...((table.AttributeDefinitions ?? []) as { AttributeName: string; AttributeType: string }[])].sort(byName),
    indexes: indexes.map((index) => ({ name: index.IndexName, keys: index.KeySchema, projection: index.Projection.ProjectionType })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

test("the stack's tables are the store's, on demand, with point-in-time recovery and no TTL", () => {
  const template = templateOf("default");
  const deployed = resources(template, "AWS::DynamoDB::Table").map(([, table]) => table.Properties ?? {});
  for (const table of deployed) {
    expect(table.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.TimeToLiveSpecification).toBeUndefined();
  }
  const store = tableDefinitions(tableNames("bedrock-proxy-"));
  for (const definition of store) expect(definition.BillingMode).toBe("PAY_PER_REQUEST");
  const byName = (a: { name: unknown }, b: { name: unknown }) => String(a.name).localeCompare(String(b.name));
  expect(deployed.map(normalised).sort(byName)).toEqual(store.map(normalised).sort(byName));
}, 180_000);

test("tablePrefix names the tables and the proxy's DYNAMODB_TABLE_PREFIX alike", () => {
  const template = synthesize({ tablePrefix: "team-a-" });
  const names = resources(template, "AWS::DynamoDB::Table").map(([, table]) => table.Properties?.TableName);
  expect(names.sort()).toEqual(Object.values(tableNames("team-a-")).sort());
  expect(environmentOf(template, "proxy").DYNAMODB_TABLE_PREFIX).toBe("team-a-");
}, 180_000);
