import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Admission, type Admitted, type Refused, type RateLimiter, renderRateLimitHeaders } from "../../../src/gateway/rate-limit/types.ts";

/**
 * The behaviour every RateLimiter must have, run against each implementation. Time is injected
 * (`t0` + offsets) except where a test says it uses the implementation's own clock. Each test uses its
 * own key ids, so implementations that keep state outside the limiter (Redis) need no flushing.
 */

/** 2023-11-14T22:13:20Z: a whole second, so reset times are easy to read. */
export const t0 = 1_700_000_000_000;
const minute = 60_000;

export function expectAdmitted(admission: Admission): Admitted {
  if (!admission.admitted) throw new Error(`expected an admission, got a refusal: ${JSON.stringify(admission)}`);
  return admission;
}

export function expectRefused(admission: Admission): Refused {
  if (admission.admitted) throw new Error(`expected a refusal, got an admission: ${JSON.stringify(admission)}`);
  return admission;
}

let keyCounter = 0;
/** A key id no other test (nor an earlier run against the same Redis) has used. */
export function freshKey(): string {
  return `key-${process.pid}-${Date.now()}-${++keyCounter}`;
}

export function rateLimiterContract(name: string, create: () => RateLimiter | Promise<RateLimiter>): void {
  describe(`${name} rate limiter`, () => {
    let limiter: RateLimiter;
    beforeEach(async () => {
      limiter = await create();
    });
    afterEach(async () => {
      await limiter.close();
    });

    test("a new key starts with full buckets and reports what is left and when each is full again", async () => {
      const admission = expectAdmitted(await limiter.admit(freshKey(), { rpm: 60, tpm: 1000 }, 100, t0));
      expect(admission.requests).toEqual({ limit: 60, remaining: 59, resetAtMs: t0 + 1000 });
      expect(admission.tokens).toEqual({ limit: 1000, remaining: 900, resetAtMs: t0 + 6000 });
      expect(admission.reservation).toMatchObject({ reservedTokens: 100, tpm: 1000 });
    });

    test("requests per minute limit on their own, with retry-after until the next request refills", async () => {
      const key = freshKey();
      for (let i = 0; i < 3; i++) expectAdmitted(await limiter.admit(key, { rpm: 3 }, 1_000_000, t0));
      const refused = expectRefused(await limiter.admit(key, { rpm: 3 }, 0, t0));
      expect(refused.limitedBy).toBe("requests");
      expect(refused.retryAfterSeconds).toBe(20);
      expect(refused.requests).toEqual({ limit: 3, remaining: 0, resetAtMs: t0 + minute });
      expect(refused.tokens).toBeUndefined();
    });

    test("tokens per minute limit on their own", async () => {
      const key = freshKey();
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 400, t0));
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 400, t0));
      const refused = expectRefused(await limiter.admit(key, { tpm: 1000 }, 400, t0));
      expect(refused.limitedBy).toBe("tokens");
      // 200 more tokens at 1000 a minute.
      expect(refused.retryAfterSeconds).toBe(12);
      expect(refused.tokens).toEqual({ limit: 1000, remaining: 200, resetAtMs: t0 + 48_000 });
      expect(refused.requests).toBeUndefined();
    });

    test("buckets refill continuously, never above their capacity", async () => {
      const key = freshKey();
      for (let i = 0; i < 60; i++) expectAdmitted(await limiter.admit(key, { rpm: 60 }, 0, t0));
      expect(expectRefused(await limiter.admit(key, { rpm: 60 }, 0, t0 + 999)).retryAfterSeconds).toBe(1);
      expect(expectAdmitted(await limiter.admit(key, { rpm: 60 }, 0, t0 + 1000)).requests?.remaining).toBe(0);
      expect(expectAdmitted(await limiter.admit(key, { rpm: 60 }, 0, t0 + 3500)).requests?.remaining).toBe(1);
      const later = t0 + 10 * minute;
      expect(expectAdmitted(await limiter.admit(key, { rpm: 60 }, 0, later)).requests).toEqual({ limit: 60, remaining: 59, resetAtMs: later + 1000 });
    });

    test("retry-after is the whole seconds, rounded up, after which the request passes", async () => {
      const key = freshKey();
      for (let i = 0; i < 7; i++) expectAdmitted(await limiter.admit(key, { rpm: 7 }, 0, t0));
      // One request refills every 60/7 = 8.57 s.
      const refused = expectRefused(await limiter.admit(key, { rpm: 7 }, 0, t0));
      expect(refused.retryAfterSeconds).toBe(9);
      expectRefused(await limiter.admit(key, { rpm: 7 }, 0, t0 + 8000));
      expectAdmitted(await limiter.admit(key, { rpm: 7 }, 0, t0 + refused.retryAfterSeconds * 1000));
    });

    test("a request refused by one limit takes nothing from the other", async () => {
      const key = freshKey();
      const limits = { rpm: 2, tpm: 1000 };
      expectAdmitted(await limiter.admit(key, limits, 900, t0));
      const byTokens = expectRefused(await limiter.admit(key, limits, 500, t0));
      expect(byTokens.limitedBy).toBe("tokens");
      expect(byTokens.requests?.remaining).toBe(1);
      expect(expectAdmitted(await limiter.admit(key, limits, 50, t0)).requests?.remaining).toBe(0);
      const byRequests = expectRefused(await limiter.admit(key, limits, 50, t0));
      expect(byRequests.limitedBy).toBe("requests");
      expect(byRequests.tokens?.remaining).toBe(50);
      // 30 s later: one request and 500 tokens more; all 550 are there, the refusals took none.
      const admitted = expectAdmitted(await limiter.admit(key, limits, 550, t0 + 30_000));
      expect(admitted.tokens?.remaining).toBe(0);
      expect(admitted.requests?.remaining).toBe(0);
    });

    test("when both limits refuse, retry-after waits for both and names the longer", async () => {
      const key = freshKey();
      const limits = { rpm: 1, tpm: 6000 };
      expectAdmitted(await limiter.admit(key, limits, 6000, t0));
      // Requests: 60 s for the next one; tokens: 6000 at 100/s, 30 s for 3000.
      const refused = expectRefused(await limiter.admit(key, limits, 3000, t0));
      expect(refused.limitedBy).toBe("requests");
      expect(refused.retryAfterSeconds).toBe(60);
    });

    test("settling gives back what was reserved and not used", async () => {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 800, t0));
      expect(admitted.tokens?.remaining).toBe(200);
      await limiter.settle(admitted.reservation, 300, t0);
      expect(expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 0, t0)).tokens?.remaining).toBe(700);
    });

    test("settling never fills a bucket above its capacity", async () => {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 500, t0));
      // A minute later the bucket has refilled; giving back 500 more must not make it 1500.
      await limiter.settle(admitted.reservation, 0, t0 + minute);
      const after = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 0, t0 + minute));
      expect(after.tokens).toEqual({ limit: 1000, remaining: 1000, resetAtMs: t0 + minute });
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 1000, t0 + minute));
      expectRefused(await limiter.admit(key, { tpm: 1000 }, 1, t0 + minute));
    });

    test("using more than reserved takes the extra: the bucket goes into debt and the next requests wait", async () => {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 100, t0));
      await limiter.settle(admitted.reservation, 1600, t0);
      // 1000 − 1600 = −600: a 1-token request waits for 601 tokens at 1000 a minute (36.06 s).
      const refused = expectRefused(await limiter.admit(key, { tpm: 1000 }, 1, t0));
      expect(refused.retryAfterSeconds).toBe(37);
      expect(refused.tokens).toEqual({ limit: 1000, remaining: 0, resetAtMs: t0 + 96_000 });
      expectRefused(await limiter.admit(key, { tpm: 1000 }, 0, t0 + 35_000));
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 1, t0 + 37_000));
    });

    test("debt stops at minus the capacity, so one overrun blocks a key for a minute at most", async () => {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 100, t0));
      await limiter.settle(admitted.reservation, 1_000_000, t0);
      expect(expectRefused(await limiter.admit(key, { tpm: 1000 }, 0, t0)).retryAfterSeconds).toBe(60);
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 0, t0 + minute));
    });

    test("a reservation larger than the capacity is cut to it and waits for a full bucket", async () => {
      const key = freshKey();
      const first = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 64_000, t0));
      expect(first.reservation.reservedTokens).toBe(1000);
      expect(first.tokens?.remaining).toBe(0);
      expect(expectRefused(await limiter.admit(key, { tpm: 1000 }, 64_000, t0 + 30_000)).retryAfterSeconds).toBe(30);
      expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 64_000, t0 + minute));
    });

    test("a reservation is settled once", async () => {
      const key = freshKey();
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 600, t0));
      await limiter.settle(admitted.reservation, 100, t0);
      await limiter.settle(admitted.reservation, 100, t0);
      expect(expectAdmitted(await limiter.admit(key, { tpm: 1000 }, 0, t0)).tokens?.remaining).toBe(900);
    });

    test("a lowered limit clamps what the bucket holds", async () => {
      const key = freshKey();
      for (let i = 0; i < 10; i++) expectAdmitted(await limiter.admit(key, { rpm: 100 }, 0, t0));
      expect(expectAdmitted(await limiter.admit(key, { rpm: 20 }, 0, t0)).requests?.remaining).toBe(19);
    });

    test("a key without limits is unlimited and reports no figures", async () => {
      const key = freshKey();
      for (let i = 0; i < 500; i++) {
        const admission = expectAdmitted(await limiter.admit(key, {}, 1_000_000, t0));
        expect(admission.requests).toBeUndefined();
        expect(admission.tokens).toBeUndefined();
        await limiter.settle(admission.reservation, 2_000_000, t0);
      }
      expect(renderRateLimitHeaders(await limiter.admit(key, {}, 1, t0))).toEqual({});
    });

    test("headers carry Anthropic's names, RFC 3339 resets rounded up, and retry-after on a refusal", async () => {
      const key = freshKey();
      const limits = { rpm: 2, tpm: 90 };
      const admitted = await limiter.admit(key, limits, 1, t0);
      // 1 token at 90 a minute: full again in 0.67 s, shown as the next whole second.
      const figures = {
        "anthropic-ratelimit-requests-limit": "2",
        "anthropic-ratelimit-requests-remaining": "1",
        "anthropic-ratelimit-requests-reset": "2023-11-14T22:13:50Z",
        "anthropic-ratelimit-tokens-limit": "90",
        "anthropic-ratelimit-tokens-remaining": "89",
        "anthropic-ratelimit-tokens-reset": "2023-11-14T22:13:21Z",
      };
      expect(renderRateLimitHeaders(admitted)).toEqual(figures);
      // A refusal takes nothing: the same figures, plus when to retry.
      const refused = await limiter.admit(key, limits, 100, t0);
      expect(renderRateLimitHeaders(refused)).toEqual({ ...figures, "retry-after": "1" });
      expect(renderRateLimitHeaders(expectAdmitted(await limiter.admit(freshKey(), { tpm: 10 }, 0, t0)))).toEqual({
        "anthropic-ratelimit-tokens-limit": "10",
        "anthropic-ratelimit-tokens-remaining": "10",
        "anthropic-ratelimit-tokens-reset": "2023-11-14T22:13:20Z",
      });
    });

    test("arguments no configuration should produce are refused", async () => {
      const key = freshKey();
      await expect(limiter.admit(key, { rpm: 0 }, 1, t0)).rejects.toThrow(RangeError);
      await expect(limiter.admit(key, { tpm: -5 }, 1, t0)).rejects.toThrow(RangeError);
      await expect(limiter.admit(key, { tpm: 10 }, Number.NaN, t0)).rejects.toThrow(RangeError);
      const admitted = expectAdmitted(await limiter.admit(key, { tpm: 10 }, 1, t0));
      await expect(limiter.settle(admitted.reservation, -1, t0)).rejects.toThrow(RangeError);
    });

    test("200 concurrent admissions on one key at rpm 50 admit exactly 50 (own clock)", async () => {
      const key = freshKey();
      const admissions = await Promise.all(Array.from({ length: 200 }, () => limiter.admit(key, { rpm: 50 }, 0)));
      expect(admissions.filter((admission) => admission.admitted).length).toBe(50);
      for (const admission of admissions) if (!admission.admitted) expect(admission.limitedBy).toBe("requests");
    });

    test("200 concurrent admissions reserving 100 tokens at tpm 5000 admit exactly 50", async () => {
      const key = freshKey();
      const admissions = await Promise.all(Array.from({ length: 200 }, () => limiter.admit(key, { rpm: 1000, tpm: 5000 }, 100, t0)));
      expect(admissions.filter((admission) => admission.admitted).length).toBe(50);
      // The refusals took no requests: 1000 − 50 are left.
      expect(expectRefused(await limiter.admit(key, { rpm: 1000, tpm: 5000 }, 100, t0)).requests?.remaining).toBe(950);
    });
  });
}
