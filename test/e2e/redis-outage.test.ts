import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../emulator/server.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * Redis stopped under proxy processes serving a rate-limited key: every answer comes quickly, as the
 * operator's policy says (closed: 529 overloaded_error with retry-after; open: served), never a 500
 * or a hang, and the limits hold again as soon as Redis is back.
 */

/** Generous for a loaded machine; today's failure is 5–15 s hangs and 500s. */
const answerWithinMs = 2_000;
const burst = 30;
const rpm = 20;

type Proxy = ServiceProcess & { url: string };

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let redis: RedisServer;
let store: Store;
let closed: Proxy;
let open: Proxy;
let secret: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  redis = await startRedisServer();
  const path = join(mkdtempSync(join(tmpdir(), "abp-redis-outage-")), "proxy.db");
  store = await createStore({ kind: "sqlite", path });
  ({ secret } = await new KeyService(store).create({ name: "limited", rpm }, { via: "cli" }));
  const env = { BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: path, REDIS_URL: redis.url, AUTH_MODE: "keys" };
  [closed, open] = await Promise.all([startProxyProcess(env), startProxyProcess({ ...env, RATE_LIMIT_ON_REDIS_ERROR: "open" })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([closed?.stop(), open?.stop()]);
  await redis?.stop();
  await store?.close();
  await emulator?.stop();
});

const hello = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user", content: "hello" }] });

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: string;
}

async function post(proxy: Proxy): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret },
    body: hello,
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, retryAfter: response.headers.get("retry-after"), body };
}

const fire = (proxy: Proxy, count: number) => Promise.all(Array.from({ length: count }, () => post(proxy)));
const statuses = (answers: Answer[]) => answers.map((answer) => answer.status);
const slowest = (answers: Answer[]) => Math.max(...answers.map((answer) => answer.ms));

/** Polls until a request passes; resolves with how long that took. */
async function untilServed(proxy: Proxy, withinMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if ((await post(proxy)).status === 200) return performance.now() - started;
    await Bun.sleep(50);
  }
  throw new Error(`no request passed within ${withinMs} ms of Redis coming back`);
}

describe("Redis down under a rate-limited key", () => {
  test("closed (the default): 529 overloaded_error with retry-after, quickly; open: served; both limit again once Redis is back", async () => {
    expect(statuses(await fire(closed, 2))).toEqual([200, 200]);
    expect(statuses(await fire(open, 2))).toEqual([200, 200]);
    await redis.stop();

    const refused = await fire(closed, burst);
    expect(statuses(refused)).toEqual(Array(burst).fill(529));
    expect(slowest(refused)).toBeLessThan(answerWithinMs);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(answer.body)).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    }
    const served = await fire(open, burst);
    expect(statuses(served)).toEqual(Array(burst).fill(200));
    expect(slowest(served)).toBeLessThan(answerWithinMs);

    await redis.start();
    // Reconnection backs off to at most a second: requests pass again within about that.
    expect(await untilServed(closed, 3_000)).toBeLessThan(answerWithinMs);
    expect(await untilServed(open, 3_000)).toBeLessThan(answerWithinMs);
    // Redis came back empty: each key's bucket is full again, and the limit holds from there. The open proxy
    // serves whether or not it has reconnected yet, so a burst may pass unlimited until it has: it must limit
    // again within the reconnection delay.
    for (const proxy of [closed, open]) {
      const deadline = Date.now() + 3_000;
      let again = statuses(await fire(proxy, rpm + 5));
      while (!again.includes(429) && Date.now() < deadline) again = statuses(await fire(proxy, rpm + 5));
      expect(again.every((status) => status === 200 || status === 429)).toBe(true);
      expect(again.filter((status) => status === 429).length).toBeGreaterThan(0);
    }
  }, 60_000);
});
