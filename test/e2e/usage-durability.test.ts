import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../emulator/server.ts";
import { createStore } from "../../src/store/create-store.ts";
import { roundUsd, utcMonth } from "../../src/gateway/values.ts";
import type { Store } from "../../src/gateway/store.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type Stack, startStack } from "../support/stack.ts";

/** Usage is never lost: not when the proxy is stopped, not when the store goes away for a while. */

const hello = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] });
const post = (url: string) => fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: hello });
/** Without a key at all, an open proxy does not look one up: what is tested is the usage path alone, not key lookups in an outage. */
const postAnonymous = (url: string) => fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: hello });

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
    const store = await dynamo.openStore(prefix);
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

describe("SIGTERM while DynamoDB is down", () => {
  let dynamo: DynamoDbLocal;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  const load = 300;

  beforeAll(async () => {
    [dynamo, emulator] = await Promise.all([startDynamoDbLocal({ persist: true }), startEmulator({ port: 0 })]);
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
    await dynamo?.dispose();
  });

  test("the records the store did not take are spooled to a local file and replayed on the next start, each counted once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "abp-spool-"));
    const spool = join(dir, "usage-spool.jsonl");
    const prefix = `spool-${Date.now()}-`;
    const env = {
      ...dynamo.proxyEnv(prefix),
      BEDROCK_ENDPOINT: emulator.url,
      AWS_BEARER_TOKEN_BEDROCK: "x",
      AUTH_MODE: "open",
      USAGE_SPOOL_PATH: spool,
      // Well inside the test harness's 5 s between SIGTERM and SIGKILL.
      USAGE_SHUTDOWN_TIMEOUT_MS: "1000",
    };
    let proxy = await startProxyProcess(env);
    try {
      // One request while the store is up, so the prices are known (serving without them is another matter).
      expect((await postAnonymous(proxy.url)).status).toBe(200);
      await dynamo.stop();
      const statuses: number[] = [];
      // Bounded: 20 at a time.
      for (let sent = 0; sent < load; sent += 20) {
        statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => postAnonymous(proxy.url).then((response) => response.status)))));
      }
      expect(statuses.filter((status) => status === 200).length).toBe(load);
      expect(await proxy.stop()).toBe(0);
      expect(existsSync(spool)).toBe(true);
      const spooled = readFileSync(spool, "utf8").split("\n").filter((line) => line.length > 0);
      // The warm-up request's record may have landed before the outage.
      expect(new Set(spooled.map((line) => (JSON.parse(line) as { request_id: string }).request_id)).size).toBeGreaterThanOrEqual(load);
      const copy = `${spool}.copy`;
      copyFileSync(spool, copy);

      await dynamo.start();
      proxy = await startProxyProcess(env);
      const store = await dynamo.openStore(prefix);
      try {
        await expectCountedOnce(store, load + 1);
        for (let i = 0; i < 100 && existsSync(spool); i++) await Bun.sleep(50);
        expect(existsSync(spool)).toBe(false);
        // The same spool replayed again (a crash after the write, before the removal) counts nothing twice.
        await proxy.stop();
        copyFileSync(copy, spool);
        proxy = await startProxyProcess(env);
        for (let i = 0; i < 100 && existsSync(spool); i++) await Bun.sleep(50);
        expect(existsSync(spool)).toBe(false);
        await expectCountedOnce(store, load + 1);
      } finally {
        await store.close();
      }
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});

/** Waits for `count` records of the anonymous key, then checks none is counted twice: records, roll-ups and month spend. */
async function expectCountedOnce(store: Store, count: number): Promise<void> {
  let records = await store.latestUsage("anonymous", 1000);
  for (let i = 0; i < 200 && records.length < count; i++) {
    await Bun.sleep(50);
    records = await store.latestUsage("anonymous", 1000);
  }
  expect(records.length).toBe(count);
  expect(new Set(records.map((record) => record.request_id)).size).toBe(count);
  const [day] = await store.queryRollups({ bucket: "day", key_id: "anonymous" });
  expect(day?.requests).toBe(count);
  const months = new Map<string, number>();
  for (const record of records) months.set(utcMonth(record.created_at), (months.get(utcMonth(record.created_at)) ?? 0) + record.cost_usd);
  for (const [month, cost] of months) {
    expect(cost).toBeGreaterThan(0);
    expect(await store.getMonthSpend("anonymous", month)).toBeCloseTo(roundUsd(cost), 6);
  }
}
