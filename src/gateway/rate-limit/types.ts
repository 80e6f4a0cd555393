/**
 * Per-key rate limits as Anthropic applies them: requests per minute and tokens per minute, each a
 * token bucket that holds at most the limit and refills continuously at limit-per-minute (not a fixed
 * window). This module is the vocabulary both implementations (in memory, in Redis) share, with the
 * arithmetic they must agree on and the response headers rendered from their figures.
 *
 * Semantics every implementation keeps:
 * - Admission takes one request and `reserveTokens` tokens from the two buckets together, or nothing:
 *   a request refused by one limit does not consume from the other.
 * - A reservation larger than the token bucket's capacity is cut to the capacity, so a request whose
 *   `max_tokens` alone exceeds the key's tpm waits for a full bucket instead of never passing.
 * - `settle` gives back reserved − used. The bucket never rises above its capacity; when more was used
 *   than reserved the extra is taken and the bucket goes into debt, down to −capacity at most, so the
 *   next requests wait for what was really spent (at most two minutes: a bucket refills its capacity in one).
 * - A dimension without a limit is unlimited: it has no bucket, and its headers are omitted rather
 *   than invented.
 * - A bucket untouched for two minutes is full again whatever it held, so it is indistinguishable from
 *   a new one: that is how long state is kept (in-memory eviction, Redis key TTL).
 */

export interface RateLimits {
  /** Requests per minute; absent: unlimited. */
  rpm?: number;
  /** Tokens per minute (input estimate + `max_tokens` at admission, real usage after); absent: unlimited. */
  tpm?: number;
}

export type RateLimitDimension = "requests" | "tokens";

/** One bucket's state as the `anthropic-ratelimit-{dimension}-*` headers report it. */
export interface BucketFigures {
  /** The bucket's capacity: the rpm or tpm. */
  limit: number;
  /** Whole units left after this admission (or now, on a refusal); never below zero. */
  remaining: number;
  /** When the bucket will be full again, in epoch milliseconds. */
  resetAtMs: number;
}

/** Figures for each limited dimension; an unlimited dimension is absent. */
export interface RateLimitFigures {
  requests?: BucketFigures;
  tokens?: BucketFigures;
}

/** What an admission took, handed back to `settle` when the request ends. */
export interface Reservation {
  readonly keyId: string;
  /** Tokens taken at admission: the requested reservation cut to the tpm, or 0 without a tpm. */
  readonly reservedTokens: number;
  /** The tpm in force at admission (caps what settling gives back); absent when tokens were unlimited. */
  readonly tpm?: number;
}

export interface Admitted extends RateLimitFigures {
  admitted: true;
  reservation: Reservation;
}

export interface Refused extends RateLimitFigures {
  admitted: false;
  /** The limit that makes the request wait longest. */
  limitedBy: RateLimitDimension;
  /** Whole seconds, rounded up, until both buckets hold what this request needs. */
  retryAfterSeconds: number;
}

export type Admission = Admitted | Refused;

export interface RateLimiter {
  /**
   * Takes one request and `reserveTokens` tokens from `keyId`'s buckets, both or neither.
   * `now` (epoch ms) is for tests; without it each implementation reads its own clock.
   */
  admit(keyId: string, limits: RateLimits, reserveTokens: number, now?: number): Promise<Admission>;
  /**
   * Gives back the unused part of a reservation, or takes the overrun. A reservation is settled once:
   * settling it again does nothing, so a `finally` and an abort handler may both call it.
   */
  settle(reservation: Reservation, usedTokens: number, now?: number): Promise<void>;
  close(): Promise<void>;
}

/** Every bucket refills its whole capacity in this time: limits are per minute. */
export const refillWindowMs = 60_000;

/**
 * Buckets never fall below −capacity, so one that is left alone this long is full again and its state
 * can be dropped: −capacity to capacity takes two refill windows.
 */
export const idleBucketTtlMs = 2 * refillWindowMs;

/** Tolerance for float rounding in the refill arithmetic, so 0.9999999999 after exactly 1.2 s counts as 1. */
export const unitEpsilon = 1e-9;

/** Throws on arguments no configuration should produce, rather than guessing what they meant. */
export function checkAdmitArguments(limits: RateLimits, reserveTokens: number): void {
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`rate limit ${name} must be a positive number, got ${value}`);
  }
  if (!(Number.isFinite(reserveTokens) && reserveTokens >= 0)) throw new RangeError(`reserved tokens must be a non-negative number, got ${reserveTokens}`);
}

export function checkUsedTokens(usedTokens: number): void {
  if (!(Number.isFinite(usedTokens) && usedTokens >= 0)) throw new RangeError(`used tokens must be a non-negative number, got ${usedTokens}`);
}

/** A bucket's figures from its level (possibly fractional or in debt) at time `now`. */
export function bucketFigures(capacity: number, level: number, now: number): BucketFigures {
  return {
    limit: capacity,
    remaining: Math.max(0, Math.floor(level + unitEpsilon)),
    resetAtMs: now + (Math.max(0, capacity - level) * refillWindowMs) / capacity,
  };
}

/** Milliseconds until a bucket at `level` holds `need`, or 0 when it already does. */
export function waitMs(capacity: number, level: number, need: number): number {
  return level + unitEpsilon >= need ? 0 : ((need - level) * refillWindowMs) / capacity;
}

/** The refusal for waits of `requestsWaitMs` and `tokensWaitMs` (at least one positive). */
export function refusal(figures: RateLimitFigures, requestsWaitMs: number, tokensWaitMs: number): Refused {
  const limitedBy = requestsWaitMs >= tokensWaitMs ? "requests" : "tokens";
  const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(requestsWaitMs, tokensWaitMs) / 1000));
  return { admitted: false, limitedBy, retryAfterSeconds, ...figures };
}

/**
 * Anthropic's rate-limit headers: `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` for
 * each limited dimension, and `retry-after` on a refusal. Resets are RFC 3339 in whole seconds,
 * rounded up so a client waiting until then never comes back early.
 */
export function renderRateLimitHeaders(admission: Admission): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const dimension of ["requests", "tokens"] as const) {
    const figures = admission[dimension];
    if (!figures) continue;
    headers[`anthropic-ratelimit-${dimension}-limit`] = String(figures.limit);
    headers[`anthropic-ratelimit-${dimension}-remaining`] = String(figures.remaining);
    headers[`anthropic-ratelimit-${dimension}-reset`] = rfc3339Seconds(figures.resetAtMs);
  }
  if (!admission.admitted) headers["retry-after"] = String(admission.retryAfterSeconds);
  return headers;
}

/** Every header `renderRateLimitHeaders` may set (CORS exposes them to browser clients). */
export const rateLimitHeaderNames: readonly string[] = [
  ...(["requests", "tokens"] as const).flatMap((dimension) => ["limit", "remaining", "reset"].map((figure) => `anthropic-ratelimit-${dimension}-${figure}`)),
  "retry-after",
];

/** Resets fall on a handful of distinct seconds at a time: each is formatted once. */
const formattedSeconds = new Map<number, string>();

function rfc3339Seconds(epochMs: number): string {
  const seconds = Math.ceil(epochMs / 1000);
  let text = formattedSeconds.get(seconds);
  if (text === undefined) {
    text = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
    if (formattedSeconds.size >= 256) formattedSeconds.clear();
    formattedSeconds.set(seconds, text);
  }
  return text;
}
