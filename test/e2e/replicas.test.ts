import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";

/**
 * Two proxy processes sharing one Redis and one store, hit by many parallel requests for one key:
 * together they admit exactly the key's limit.
 */

const rpm = 20;
let emulator: Emulator;
let redis: RedisServer;
let replicas: { url: string; stop(): Promise<number | null> }[] = [];
let secret = "";

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  redis = await startRedisServer();
  const path = join(mkdtempSync(join(tmpdir(), "abp-replicas-")), "proxy.db");
  const store = await createStore({ kind: "sqlite", path });
  secret = (await new KeyService(store).create({ name: "shared", rpm }, { via: "cli" })).secret;
  await store.close();
  const env = { BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: path, AUTH_MODE: "keys", REDIS_URL: redis.url };
  replicas = await Promise.all([startProxyProcess(env), startProxyProcess(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await redis.stop();
  await emulator.stop();
});

describe("two replicas sharing Redis", () => {
  test("admit no more than the limit together", async () => {
    const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    const statuses = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        fetch(`${replicas[i % 2]?.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBe(rpm);
    expect(statuses.filter((s) => s === 429).length).toBe(80 - rpm);
  }, 30_000);
});
