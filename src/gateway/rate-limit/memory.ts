import {
  type Admission,
  bucketFigures,
  checkAdmitArguments,
  checkUsedTokens,
  idleBucketTtlMs,
  type RateLimiter,
  type RateLimitFigures,
  type RateLimits,
  type Reservation,
  refillWindowMs,
  refusal,
  waitMs,
} from "./types.ts";

/**
 * The rate limiter of a single process: buckets in a Map. JavaScript runs one admission at a time,
 * so checking and taking from both buckets is atomic without locks. Memory stays bounded by the keys
 * seen in the last few minutes: entries idle for `idleBucketTtlMs` are full again and are dropped by a
 * sweep that runs at most once per that period.
 */

interface Bucket {
  /** The limit in force at the last refill: a key's limits may change between requests. */
  capacity: number;
  level: number;
  /** Epoch ms the level was computed at. */
  at: number;
}

interface KeyBuckets {
  requests?: Bucket;
  tokens?: Bucket;
  touchedAt: number;
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #keys = new Map<string, KeyBuckets>();
  readonly #settled = new WeakSet<Reservation>();
  #sweptAt = Number.NEGATIVE_INFINITY;

  /** How many keys have state: for tests of eviction. */
  get trackedKeys(): number {
    return this.#keys.size;
  }

  async admit(keyId: string, limits: RateLimits, reserveTokens: number, now = Date.now()): Promise<Admission> {
    checkAdmitArguments(limits, reserveTokens);
    const { rpm, tpm } = limits;
    if (rpm === undefined && tpm === undefined) return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
    this.#sweep(now);
    const key = this.#key(keyId, now);
    const reservedTokens = tpm === undefined ? 0 : Math.min(reserveTokens, tpm);
    const requests = rpm === undefined ? undefined : (key.requests = refill(key.requests, rpm, now));
    const tokens = tpm === undefined ? undefined : (key.tokens = refill(key.tokens, tpm, now));
    const requestsWait = requests ? waitMs(requests.capacity, requests.level, 1) : 0;
    const tokensWait = tokens ? waitMs(tokens.capacity, tokens.level, reservedTokens) : 0;
    if (requestsWait > 0 || tokensWait > 0) return refusal(figures(requests, tokens, now), requestsWait, tokensWait);
    if (requests) requests.level -= 1;
    if (tokens) tokens.level -= reservedTokens;
    return { admitted: true, reservation: { keyId, reservedTokens, tpm }, ...figures(requests, tokens, now) };
  }

  async settle(reservation: Reservation, usedTokens: number, now = Date.now()): Promise<void> {
    checkUsedTokens(usedTokens);
    if (this.#settled.has(reservation)) return;
    this.#settled.add(reservation);
    const { tpm } = reservation;
    if (tpm === undefined) return;
    const key = this.#key(reservation.keyId, now);
    const tokens = (key.tokens = refill(key.tokens, tpm, now));
    tokens.level = clampToBucket(tokens.level + reservation.reservedTokens - usedTokens, tpm);
  }

  async close(): Promise<void> {
    this.#keys.clear();
  }

  #key(keyId: string, now: number): KeyBuckets {
    let key = this.#keys.get(keyId);
    if (!key) this.#keys.set(keyId, (key = { touchedAt: now }));
    key.touchedAt = Math.max(key.touchedAt, now);
    return key;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < idleBucketTtlMs) return;
    this.#sweptAt = now;
    for (const [keyId, key] of this.#keys) if (now - key.touchedAt >= idleBucketTtlMs) this.#keys.delete(keyId);
  }
}

/** The bucket brought up to `now`: a missing bucket is full; a changed limit clamps what it holds. */
function refill(bucket: Bucket | undefined, capacity: number, now: number): Bucket {
  if (!bucket) return { capacity, level: capacity, at: now };
  // A clock that steps back refills nothing, and the later time is kept so nothing is refilled twice.
  const elapsed = Math.max(0, now - bucket.at);
  bucket.level = Math.min(capacity, clampToBucket(bucket.level, capacity) + (elapsed * capacity) / refillWindowMs);
  bucket.at = Math.max(now, bucket.at);
  bucket.capacity = capacity;
  return bucket;
}

function clampToBucket(level: number, capacity: number): number {
  return Math.min(capacity, Math.max(-capacity, level));
}

function figures(requests: Bucket | undefined, tokens: Bucket | undefined, now: number): RateLimitFigures {
  const result: RateLimitFigures = {};
  if (requests) result.requests = bucketFigures(requests.capacity, requests.level, now);
  if (tokens) result.tokens = bucketFigures(tokens.capacity, tokens.level, now);
  return result;
}
