import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DescribeTableCommand, TransactionCanceledException, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbClient } from "../../src/store/dynamodb/client.ts";
import { tableNames } from "../../src/store/dynamodb/tables.ts";
import { writeUsageRecords } from "../../src/store/dynamodb/usage-writes.ts";
import type { Store } from "../../src/gateway/store.ts";
import { usageRecordSchema } from "../../src/gateway/usage/usage-record.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.ts";
import { usageRecord } from "../support/usage-record.ts";
import { storeContract } from "./contract.ts";

// One DynamoDB Local for the file (the JVM takes seconds to start); every test gets tables of its own
// under a fresh prefix, so tests never see each other's items.
let local: DynamoDbLocal;
beforeAll(async () => {
  local = await startDynamoDbLocal();
}, 60_000);
afterAll(async () => {
  await local?.dispose();
});

let prefixes = 0;
const freshPrefix = () => `t${prefixes++}-`;

function openStore(tablePrefix = freshPrefix(), createTables = true): Promise<Store> {
  return local.openStore(tablePrefix, { createTables });
}

describe("DynamoDB store", () => {
  storeContract(() => openStore());
});

describe("DynamoDB tables", () => {
  test("creating them is idempotent", async () => {
    const prefix = freshPrefix();
    const first = await openStore(prefix);
    await first.putAlias({ alias: "fast", model_id: "amazon.nova-micro-v1:0" });
    const second = await openStore(prefix);
    expect((await second.getAlias("fast"))?.model_id).toBe("amazon.nova-micro-v1:0");
    await Promise.all([first.close(), second.close()]);
  });

  test("tables made by an older release gain the indexes they lack", async () => {
    const prefix = freshPrefix();
    const first = await openStore(prefix);
    await first.close();
    const client = createDynamoDbClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
    const usage = tableNames(prefix).usage;
    const indexes = async () => ((await client.send(new DescribeTableCommand({ TableName: usage }))).Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    await client.send(new UpdateTableCommand({ TableName: usage, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "by_month" } }] }));
    for (let tries = 0; (await indexes()).includes("by_month") && tries < 100; tries++) await Bun.sleep(50);
    expect(await indexes()).toEqual(["by_key"]);
    const upgraded = await openStore(prefix);
    expect(await indexes()).toEqual(["by_key", "by_month"]);
    await upgraded.writeUsage([usageRecord("r1")]);
    expect((await upgraded.listUsage({ from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" })).data.map((record) => record.request_id)).toEqual(["r1"]);
    client.destroy();
    await upgraded.close();
  }, 30_000);

  test("without its tables the store opens but is not ready", async () => {
    const store = await openStore(freshPrefix(), false);
    await expect(store.ready()).rejects.toThrow();
    await store.close();
  });

  test("bun run setup:tables creates them from the environment, and again without harm", async () => {
    const prefix = freshPrefix();
    const env = {
      ...process.env,
      DYNAMODB_ENDPOINT: local.endpoint,
      DYNAMODB_TABLE_PREFIX: prefix,
      AWS_REGION: local.region,
      AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
    };
    for (let run = 0; run < 2; run++) {
      const setup = Bun.spawn(["bun", "run", "setup:tables"], { cwd: `${import.meta.dir}/../..`, env, stdout: "pipe", stderr: "pipe" });
      const [code, stdout, stderr] = await Promise.all([setup.exited, new Response(setup.stdout).text(), new Response(setup.stderr).text()]);
      expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toContain(`${prefix}usage`);
    }
    const store = await openStore(prefix, false);
    await store.ready();
    await store.close();
  }, 30_000);

  test("a bad setting stops setup:tables with the variable's name", async () => {
    const setup = Bun.spawn(["bun", "scripts/setup-tables.ts"], {
      cwd: `${import.meta.dir}/../..`,
      env: { ...process.env, DYNAMODB_ENDPOINT: "not a url" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([setup.exited, new Response(setup.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr).toContain("DYNAMODB_ENDPOINT");
  });
});

describe("DynamoDB usage transactions", () => {
  // DynamoDB Local runs transactions one at a time and never reports the conflict real DynamoDB does
  // when two transactions touch one roll-up at once; a client middleware plays it here.
  function clientWithConflicts(times: number) {
    const client = createDynamoDbClient({ endpoint: local.endpoint, region: local.region, credentials: local.credentials });
    const state = { left: times };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "TransactWriteItemsCommand" || state.left-- <= 0) return next(args);
        const CancellationReasons = [{ Code: "None" }, { Code: "TransactionConflict" }, { Code: "None" }];
        throw new TransactionCanceledException({ message: "Transaction cancelled", $metadata: {}, CancellationReasons });
      },
      { step: "initialize" },
    );
    return { client, state };
  }

  test("a group that loses a race on a roll-up (TransactionConflict) is retried", async () => {
    const prefix = freshPrefix();
    const store = await openStore(prefix);
    const { client, state } = clientWithConflicts(2);
    expect(await writeUsageRecords(client, tableNames(prefix), [usageRecordSchema.parse(usageRecord("r1"))])).toEqual({ written: 1, duplicates: 0 });
    expect(state.left).toBeLessThan(0);
    expect(await store.queryRollups({ bucket: "hour" })).toMatchObject([{ requests: 1 }]);
    client.destroy();
    await store.close();
  });

  test("a conflict that persists fails the batch, leaving it to the writer's retry", async () => {
    const prefix = freshPrefix();
    const store = await openStore(prefix);
    const { client } = clientWithConflicts(Number.POSITIVE_INFINITY);
    await expect(writeUsageRecords(client, tableNames(prefix), [usageRecordSchema.parse(usageRecord("r1"))])).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await store.getUsage("r1")).toBeUndefined();
    client.destroy();
    await store.close();
  });
});

describe("DynamoDB outage", () => {
  test("a batch written while DynamoDB is down fails; retried after it is back, it lands once", async () => {
    const outage = await startDynamoDbLocal({ persist: true });
    const store = await outage.openStore("", { createTables: true });
    try {
      await store.writeUsage([usageRecord("r1")]);
      await outage.stop();
      const batch = [usageRecord("r1"), usageRecord("r2"), usageRecord("r3")];
      await expect(store.writeUsage(batch)).rejects.toThrow();
      await expect(store.ready()).rejects.toThrow();
      await outage.start();
      await store.ready();
      expect(await store.writeUsage(batch)).toEqual({ written: 2, duplicates: 1 });
      expect(await store.queryRollups({ bucket: "day", key_id: "k1" })).toMatchObject([{ requests: 3, input_tokens: 300, cost_usd: 0.03 }]);
    } finally {
      await store.close();
      await outage.dispose();
    }
  }, 60_000);
});
