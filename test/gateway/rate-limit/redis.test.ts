import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createRateLimiter } from "../../../src/gateway/rate-limit/create.ts";
import { ApiError } from "../../../src/anthropic/errors.ts";
import { RedisRateLimiter, type RedisRateLimiterOptions } from "../../../src/gateway/rate-limit/redis.ts";
import { idleBucketTtlMs } from "../../../src/gateway/rate-limit/types.ts";
import { createLogger } from "../../../lib/log.ts";
import { type RedisServer, startRedisServer } from "../../support/redis-server.ts";
import { expectAdmitted, freshKey, rateLimiterContract, t0 } from "./contract.ts";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

const limiterOn = (url: string, options: Partial<RedisRateLimiterOptions> = {}) =>
  new RedisRateLimiter({ url, commandTimeoutMs: 500, onRedisError: "closed", ...options });

rateLimiterContract("Redis", () => limiterOn(server.url));

describe("Redis rate limiter", () => {
  test("is what createRateLimiter gives with a Redis URL", async () => {
    const limiter = createRateLimiter({ redis: { url: server.url, commandTimeoutMs: 500, onRedisError: "closed" } });
    expect(limiter).toBeInstanceOf(RedisRateLimiter);
    await limiter.close();
  });

  test("keeps one hash per key, expiring once its buckets would be full again", async () => {
    const limiter = limiterOn(server.url, { keyPrefix: "ttl-test:" });
    const redis = new Redis(server.url);
    try {
      const key = freshKey();
      await limiter.admit(key, { rpm: 10, tpm: 100 }, 10, t0);
      expect(await redis.hgetall(`ttl-test:${key}`)).toEqual({ requests: "9", requestsAt: String(t0), tokens: "90", tokensAt: String(t0) });
      const ttl = await redis.pttl(`ttl-test:${key}`);
      expect(ttl).toBeGreaterThan(idleBucketTtlMs - 5_000);
      expect(ttl).toBeLessThanOrEqual(idleBucketTtlMs);
      // A key with no limits writes nothing.
      await limiter.admit(`${key}-unlimited`, {}, 10, t0);
      expect(await redis.exists(`ttl-test:${key}-unlimited`)).toBe(0);
    } finally {
      redis.disconnect();
      await limiter.close();
    }
  });

  test("reloads its scripts when Redis has forgotten them", async () => {
    const limiter = limiterOn(server.url);
    const redis = new Redis(server.url);
    try {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 100 }, 50, t0));
      await redis.script("FLUSH");
      await limiter.settle(admitted.reservation, 0, t0);
      await redis.script("FLUSH");
      expect(expectAdmitted(await limiter.admit(key, { tpm: 100 }, 0, t0)).tokens?.remaining).toBe(100);
    } finally {
      redis.disconnect();
      await limiter.close();
    }
  });

  test("without an injected clock, reset times come from Redis's clock", async () => {
    const limiter = limiterOn(server.url);
    const redis = new Redis(server.url);
    try {
      const [seconds, micros] = await redis.time();
      const redisNow = Number(seconds) * 1000 + Number(micros) / 1000;
      const admitted = expectAdmitted(await limiter.admit(freshKey(), { rpm: 60 }, 0));
      const resetAtMs = admitted.requests?.resetAtMs ?? Number.NaN;
      expect(resetAtMs - 1000).toBeGreaterThanOrEqual(redisNow);
      expect(resetAtMs - 1000).toBeLessThan(redisNow + 1000);
    } finally {
      redis.disconnect();
      await limiter.close();
    }
  });

  describe("while Redis is down", () => {
    /** A limiter on its own Redis, which the test stops; its log lines are kept. */
    async function outage(onRedisError: "closed" | "open") {
      const own = await startRedisServer();
      const lines: string[] = [];
      const limiter = limiterOn(own.url, { onRedisError, logger: createLogger("info", {}, (line) => lines.push(line)) });
      const key = freshKey();
      const before = expectAdmitted(await limiter.admit(key, { rpm: 10, tpm: 1000 }, 100, t0));
      await own.stop();
      return { own, limiter, key, before, messages: () => lines.map((line) => (JSON.parse(line) as { message: string }).message) };
    }

    test("closed: admissions are refused at once with a 529 overloaded_error and retry-after; settling neither throws nor waits", async () => {
      const { own, limiter, key, before, messages } = await outage("closed");
      try {
        const started = performance.now();
        for (let i = 0; i < 20; i++) {
          const refused = await limiter.admit(key, { rpm: 10 }, 0, t0).catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(ApiError);
          expect(refused).toMatchObject({ type: "overloaded_error", status: 529, retryAfterSeconds: 1 });
        }
        await limiter.settle(before.reservation, 0, t0);
        expect(performance.now() - started).toBeLessThan(1_000);
        // One line for the lost connection, one for the policy: not one per request.
        expect(messages().filter((message) => message.includes("Redis")).length).toBe(2);
      } finally {
        await limiter.close();
        await own.stop();
      }
    });

    test("open: admissions pass without limits (and without limit headers), logged once", async () => {
      const { own, limiter, key, messages } = await outage("open");
      try {
        for (let i = 0; i < 20; i++) {
          const admitted = expectAdmitted(await limiter.admit(key, { rpm: 10 }, 0, t0));
          expect(admitted.requests).toBeUndefined();
        }
        expect(messages().filter((message) => message.includes("admitted without limits")).length).toBe(1);
      } finally {
        await limiter.close();
        await own.stop();
      }
    });

    test("once Redis is back, limits apply again within about a second, and the outage's end is logged once", async () => {
      const { own, limiter, key, messages } = await outage("closed");
      try {
        await expect(limiter.admit(key, { rpm: 10 }, 0, t0)).rejects.toThrow();
        await own.start();
        const started = performance.now();
        let admission = await limiter.admit(key, { rpm: 2 }, 0, t0).catch(() => undefined);
        while (!admission && performance.now() - started < 3_000) {
          await Bun.sleep(20);
          admission = await limiter.admit(key, { rpm: 2 }, 0, t0).catch(() => undefined);
        }
        expect(performance.now() - started).toBeLessThan(2_000);
        // Redis came back empty: a fresh bucket of 2, the first taken above.
        expect(expectAdmitted(await limiter.admit(key, { rpm: 2 }, 0, t0)).requests?.remaining).toBe(0);
        expect((await limiter.admit(key, { rpm: 2 }, 0, t0)).admitted).toBe(false);
        expect(messages()).toContain("rate limits apply again");
        expect(messages()).toContain("Redis is back");
      } finally {
        await limiter.close();
        await own.stop();
      }
    });
  });

  test("a Redis that is up but does not answer (paused) costs an admission the command timeout, then the policy", async () => {
    const limiter = limiterOn(server.url, { commandTimeoutMs: 200 });
    const pauser = new Redis(server.url);
    const pauseMs = 800;
    try {
      expectAdmitted(await limiter.admit(freshKey(), { rpm: 10 }, 0, t0));
      await pauser.call("CLIENT", "PAUSE", String(pauseMs), "ALL");
      const started = performance.now();
      const refused = await limiter.admit(freshKey(), { rpm: 10 }, 0, t0).catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(pauseMs);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).type).toBe("overloaded_error");
    } finally {
      // The pause ends on its own; the next tests need Redis answering again.
      await pauser.ping();
      pauser.disconnect();
      await limiter.close();
    }
  });

  test("a host that accepts connections but never answers is given up on after the command timeout", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const limiter = limiterOn(`redis://127.0.0.1:${silent.port}`, { commandTimeoutMs: 200 });
    try {
      const started = performance.now();
      await expect(limiter.admit(freshKey(), { rpm: 10 }, 0, t0)).rejects.toMatchObject({ type: "overloaded_error" });
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await limiter.close();
      silent.stop(true);
    }
  });

  test("admissions made while the first connection is still being made wait for it", async () => {
    const limiter = limiterOn(server.url);
    try {
      const admissions = await Promise.all(Array.from({ length: 10 }, () => limiter.admit(freshKey(), { rpm: 10 }, 0, t0)));
      expect(admissions.every((admission) => admission.admitted)).toBe(true);
    } finally {
      await limiter.close();
    }
  });

  for (const scenario of [
    { name: "rpm 50", limits: { rpm: 50 }, reserve: 0 },
    { name: "tpm 5000 reserving 100 each", limits: { rpm: 10_000, tpm: 5000 }, reserve: 100 },
  ]) {
    test(`two processes firing 200 parallel admissions each at ${scenario.name} admit exactly 50 together`, async () => {
      const key = freshKey();
      const workers = [0, 1].map(() =>
        Bun.spawn([process.execPath, `${import.meta.dir}/admit-worker.ts`, server.url, key, JSON.stringify(scenario.limits), String(scenario.reserve), "200"], {
          stdin: "pipe",
          stdout: "pipe",
          stderr: "pipe",
        }),
      );
      try {
        const outputs = workers.map((worker) => lines(worker.stdout));
        for (const output of outputs) expect(await nextLine(output)).toBe("ready");
        for (const worker of workers) {
          worker.stdin.write("go\n");
          await worker.stdin.flush();
        }
        const counts = await Promise.all(outputs.map(async (output) => (JSON.parse(await nextLine(output)) as { admitted: number }).admitted));
        for (const worker of workers) expect(await worker.exited).toBe(0);
        expect(counts[0]! + counts[1]!).toBe(50);
        // Both processes took part: their admissions interleaved on the same buckets.
        expect(counts.every((count) => count > 0)).toBe(true);
      } catch (error) {
        for (const worker of workers) worker.kill();
        const stderr = await Promise.all(workers.map((worker) => new Response(worker.stderr).text()));
        throw new Error(`${error instanceof Error ? error.message : String(error)}\nworker stderr:\n${stderr.join("\n---\n")}`);
      }
    }, 20_000);
  }
});

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of stream) {
    buffered += decoder.decode(bytes, { stream: true });
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
}

async function nextLine(output: AsyncGenerator<string>): Promise<string> {
  const next = await output.next();
  if (next.done) throw new Error("the worker exited before writing a line");
  return next.value;
}
