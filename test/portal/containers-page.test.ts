import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisContainerStore } from "../../src/ptc/containers/redis.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The portal's PTC containers page lists what the container store holds: here the Redis store the
 * proxy shares with its replicas, written by the test as another replica would.
 */

const masterKey = "master-key-for-the-containers-page";
let redis: RedisServer;
let stack: Stack;
let containers: RedisContainerStore;

beforeAll(async () => {
  redis = await startRedisServer();
  // The sandbox service is never called: listing containers reads the store alone.
  stack = await startStack({ AUTH_MODE: "keys", MASTER_API_KEY: masterKey, REDIS_URL: redis.url, SANDBOX_URL: "http://127.0.0.1:9", SANDBOX_TOKEN: "sandbox-token-0123456789abcdef" });
  containers = new RedisContainerStore({ url: redis.url, commandTimeoutMs: 1_000 });
}, 30_000);
afterAll(async () => {
  await containers?.close();
  await stack?.stop();
  await redis?.stop();
});

const page = async (path: string) => (await fetch(`${stack.proxyUrl}${path}`, { headers: { "x-api-key": masterKey } })).text();

test("live containers are listed by key with their age, expiry and paused state; expired ones are not", async () => {
  const now = Date.now();
  await containers.put({ id: "container_live", owner: "key_owner_a", sessionId: "sess_1", createdAt: new Date(now - 125_000).toISOString(), expiresAt: new Date(now + 600_000).toISOString() });
  await containers.put({
    id: "container_paused",
    owner: "key_owner_b",
    sessionId: "sess_2",
    expiresAt: new Date(now + 300_000).toISOString(),
    paused: { executionId: "exec_1", serverToolUseId: "srvtoolu_1", calls: [{ toolUseId: "toolu_1", callId: "call_1", name: "get_weather" }], remaining: [], directCalls: false },
  });
  await containers.put({ id: "container_gone", owner: "key_owner_a", sessionId: "sess_3", expiresAt: new Date(now + 200).toISOString() });
  await Bun.sleep(400);
  const html = await page("/admin/containers");
  expect(html).toContain("container_live");
  expect(html).toMatch(/key_owner_a<\/td><td><code>container_live<\/code><\/td><td>2 min \d+ s<\/td>/);
  expect(html).toContain("paused: waits for get_weather");
  expect(html).not.toContain("container_gone");
}, 30_000);

test("without SANDBOX_URL the page says PTC is off", async () => {
  const off = await startStack({ AUTH_MODE: "keys", MASTER_API_KEY: masterKey });
  try {
    const html = await (await fetch(`${off.proxyUrl}/admin/containers`, { headers: { "x-api-key": masterKey } })).text();
    expect(html).toContain("Programmatic tool calling is off on this proxy");
  } finally {
    await off.stop();
  }
}, 30_000);
