import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../emulator/server.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * REDIS_URL=rediss://: the proxy talks to a Redis that takes TLS only (as deploy/ sets ElastiCache up, with
 * encryption in transit required), verifying its certificate: a key's rpm is kept there, exactly. Were the
 * connection not made, the limited requests would be refused with 529 (RATE_LIMIT_ON_REDIS_ERROR=closed).
 */

const rpm = 4;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let redis: RedisServer;
let proxy: ServiceProcess & { url: string };
let secret: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  redis = await startRedisServer({ tls: true });
  const path = join(mkdtempSync(join(tmpdir(), "abp-redis-tls-")), "proxy.db");
  const store = await createStore({ kind: "sqlite", path });
  ({ secret } = await new KeyService(store).create({ name: "limited", rpm }, { via: "cli" }));
  await store.close();
  // The test's certificate is self-signed; ElastiCache's is signed by a CA the system already trusts.
  const env = { BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: path, REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: redis.certificateFile ?? "" };
  proxy = await startProxyProcess(env);
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
  await emulator?.stop();
});

test("a key's rpm is kept in a Redis reached over TLS", async () => {
  expect(redis.url).toStartWith("rediss://");
  const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] });
  const post = () =>
    fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body, signal: AbortSignal.timeout(30_000) }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });
  const statuses = [];
  for (let i = 0; i < rpm + 2; i++) statuses.push(await post());
  expect(statuses).toEqual([...Array<number>(rpm).fill(200), 429, 429]);
}, 60_000);
