import { describe, expect, test } from "bun:test";
import { createRateLimiter } from "../../../src/gateway/rate-limit/create.ts";
import { MemoryRateLimiter } from "../../../src/gateway/rate-limit/memory.ts";
import { idleBucketTtlMs } from "../../../src/gateway/rate-limit/types.ts";
import { expectAdmitted, rateLimiterContract, t0 } from "./contract.ts";

rateLimiterContract("in-memory", () => new MemoryRateLimiter());

describe("in-memory rate limiter", () => {
  test("is what createRateLimiter gives without a Redis URL", async () => {
    const limiter = createRateLimiter({});
    expect(limiter).toBeInstanceOf(MemoryRateLimiter);
    await limiter.close();
  });

  test("drops keys idle long enough to be full again, and they come back full", async () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 1000; i++) await limiter.admit(`idle-${i}`, { rpm: 1, tpm: 10 }, 10, t0);
    expect(limiter.trackedKeys).toBe(1000);
    await limiter.admit("active", { rpm: 1 }, 0, t0 + idleBucketTtlMs - 1);
    expect(limiter.trackedKeys).toBe(1001);
    await limiter.admit("active", { rpm: 1 }, 0, t0 + idleBucketTtlMs);
    expect(limiter.trackedKeys).toBe(1);
    const back = expectAdmitted(await limiter.admit("idle-0", { rpm: 1, tpm: 10 }, 0, t0 + idleBucketTtlMs));
    expect(back.requests?.remaining).toBe(0);
    expect(back.tokens?.remaining).toBe(10);
    await limiter.close();
  });

  test("settling a reservation whose key was dropped behaves as on a full bucket", async () => {
    const limiter = new MemoryRateLimiter();
    const admitted = expectAdmitted(await limiter.admit("long-stream", { tpm: 1000 }, 500, t0));
    await limiter.admit("other", {}, 0, t0 + 10 * idleBucketTtlMs);
    expect(limiter.trackedKeys).toBe(1);
    await limiter.settle(admitted.reservation, 700, t0 + 10 * idleBucketTtlMs);
    expect(expectAdmitted(await limiter.admit("long-stream", { tpm: 1000 }, 0, t0 + 10 * idleBucketTtlMs)).tokens?.remaining).toBe(800);
    await limiter.close();
  });
});
