import { afterAll, beforeAll, expect, test } from "bun:test";
import { KeyService } from "../../src/gateway/keys/service.ts";
import type { Store } from "../../src/gateway/store.ts";
import { type DynamoDbLocal, startDynamoDbLocal } from "../support/dynamodb-local.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * DynamoDB stops in the middle of traffic from a budgeted key: the key goes on being served from the
 * spend and prices last read, a key never seen is told to retry (529, not 500), the outage is logged
 * once when it starts and once when it ends, and past the grace period the budget fails closed.
 */

const clock = { now: new Date("2026-11-20T12:00:00Z") };
const graceS = 600;
let dynamo: DynamoDbLocal;
let stack: Stack;
let store: Store;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ persist: true });
  // The proxy's DynamoDB client takes the default credential chain; DynamoDB Local accepts any.
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  const tablePrefix = `store-outage-${Date.now()}-`;
  stack = await startStack(
    {
      STORE: "dynamodb",
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_TABLE_PREFIX: tablePrefix,
      DYNAMODB_CREATE_TABLES: "true",
      AUTH_MODE: "keys",
      USAGE_FLUSH_INTERVAL_MS: "50",
      STORE_OUTAGE_GRACE_S: String(graceS),
    },
    { now: () => clock.now },
  );
  store = await dynamo.openStore(tablePrefix);
}, 60_000);
afterAll(async () => {
  await store.close();
  await stack.stop();
  await dynamo.dispose();
}, 30_000);

const send = (secret: string) =>
  fetch(`${stack.proxyUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] }),
  });
const logged = (prefix: string) => stack.logEntries().filter((entry) => entry.message.startsWith(prefix)).length;

test("a budgeted key is served through a DynamoDB outage, and the outage is logged once", async () => {
  const keys = new KeyService(store);
  const known = await keys.create({ name: "budgeted", monthly_budget_usd: 10 }, { via: "cli" });
  const unseen = await keys.create({ name: "never used before the outage", monthly_budget_usd: 10 }, { via: "cli" });
  const unbudgeted = await keys.create({ name: "no budget" }, { via: "cli" });
  for (let i = 0; i < 3; i++) expect((await send(known.secret)).status).toBe(200);
  expect((await send(unbudgeted.secret)).status).toBe(200);

  await dynamo.stop();
  // Well past the price book's refresh interval (30 s), so price lookups want the store again.
  const outageStatuses: number[] = [];
  const until = Date.now() + 36_000;
  while (Date.now() < until) {
    const answers = await Promise.all([send(known.secret), send(unbudgeted.secret)]);
    for (const answer of answers) {
      await answer.text();
      outageStatuses.push(answer.status);
    }
    await Bun.sleep(100);
  }
  const refused = await send(unseen.secret);
  expect(refused.status).toBe(529);
  expect(refused.headers.get("retry-after")).toBe("5");
  expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
  expect(outageStatuses.length).toBeGreaterThan(50);
  expect(outageStatuses.filter((s) => s !== 200)).toEqual([]);

  // Past the grace period, spend read that long ago no longer stands for the store: fail closed.
  clock.now = new Date(clock.now.getTime() + (graceS + 1) * 1000);
  const stale = await send(known.secret);
  expect(stale.status).toBe(529);
  await stale.text();

  await dynamo.start();
  let back = 0;
  for (let i = 0; i < 100 && back !== 200; i++) {
    back = (await send(known.secret)).status;
    if (back !== 200) await Bun.sleep(200);
  }
  expect(back).toBe(200);
  expect(logged("store unavailable")).toBe(1);
  expect(logged("store back after")).toBe(1);
  expect(logged("could not refresh prices")).toBe(0);
  // The only errors logged are the 529s above: nothing failed with a 500.
  expect(stack.logEntries().filter((entry) => entry.level === "error" && entry.type !== "overloaded_error")).toEqual([]);

  // Every request the key was served is recorded, its spend included, once the store is back.
  const served = 3 + outageStatuses.length / 2 + 1;
  let records = 0;
  for (let i = 0; i < 150 && records < served; i++) {
    records = (await store.latestUsage(known.key.id, 1000)).length;
    if (records < served) await Bun.sleep(100);
  }
  expect(records).toBe(served);
  const spend = (await store.listMonthSpend(known.key.id)).find((m) => m.month === "2026-11")?.spend_usd ?? 0;
  const recorded = (await store.latestUsage(known.key.id, 1000)).reduce((sum, r) => sum + r.cost_usd, 0);
  expect(spend).toBeCloseTo(recorded, 8);
}, 150_000);
