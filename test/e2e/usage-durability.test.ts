import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/server.ts";
import { createStore } from "../../src/store/create-store.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type Stack, startStack } from "../support/stack.ts";

/** Usage is never lost: not when the proxy is stopped, not when the store goes away for a while. */

const hello = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] });
const post = (url: string) => fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "k" }, body: hello });

describe("SIGTERM", () => {
  test("a proxy stopped with SIGTERM writes its buffered usage first", async () => {
    const emulator = await startEmulator({ port: 0 });
    const path = join(mkdtempSync(join(tmpdir(), "abp-sigterm-")), "proxy.db");
    const proxy = await startProxyProcess({
      BEDROCK_ENDPOINT: emulator.url,
      AWS_BEARER_TOKEN_BEDROCK: "x",
      SQLITE_PATH: path,
      AUTH_MODE: "open",
      // Nothing is written on a timer during the test: only shutdown can write it.
      USAGE_FLUSH_INTERVAL_MS: "600000",
    });
    try {
      for (let i = 0; i < 5; i++) expect((await post(proxy.url)).status).toBe(200);
      expect(await proxy.stop()).toBe(0);
      const store = await createStore({ kind: "sqlite", path });
      expect((await store.latestUsage("anonymous", 100)).length).toBe(5);
      await store.close();
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  }, 30_000);
});

describe("a DynamoDB outage during a load", () => {
  let dynamo: DynamoDbLocal;
  let stack: Stack;
  const prefix = `outage-${Date.now()}-`;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal({ persist: true });
    // The proxy's DynamoDB client takes the default credential chain; DynamoDB Local accepts any.
    process.env.AWS_ACCESS_KEY_ID ??= "local";
    process.env.AWS_SECRET_ACCESS_KEY ??= "local";
    stack = await startStack({
      STORE: "dynamodb",
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_TABLE_PREFIX: prefix,
      DYNAMODB_CREATE_TABLES: "true",
      USAGE_FLUSH_INTERVAL_MS: "50",
      USAGE_BATCH_SIZE: "10",
    });
  }, 60_000);
  afterAll(async () => {
    await stack.stop();
    await dynamo.dispose();
  });

  test("every record lands once DynamoDB is back, none twice", async () => {
    const sent: Promise<Response>[] = [];
    const fire = (count: number) => {
      for (let i = 0; i < count; i++) sent.push(post(stack.proxyUrl));
    };
    fire(20);
    await Bun.sleep(200);
    await dynamo.stop();
    fire(30);
    await Promise.all(sent.slice(0, 50));
    await Bun.sleep(500);
    await dynamo.start();
    fire(10);
    const statuses = await Promise.all(sent.map((r) => r.then((response) => response.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const store = await createStore({ kind: "dynamodb", endpoint: dynamo.endpoint, region: dynamo.region, tablePrefix: prefix, createTables: false, credentials: dynamo.credentials });
    try {
      let records = 0;
      for (let i = 0; i < 200 && records < 60; i++) {
        records = (await store.latestUsage("anonymous", 1000)).length;
        if (records < 60) await Bun.sleep(100);
      }
      expect(records).toBe(60);
      const [day] = await store.queryRollups({ bucket: "day", key_id: "anonymous" });
      expect(day?.requests).toBe(60);
    } finally {
      await store.close();
    }
  }, 60_000);
});
