import { createHash } from "node:crypto";
import Redis from "ioredis";
import type { Logger } from "../../log.ts";
import { admitScript, settleScript } from "./redis-scripts.ts";
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
  unitEpsilon,
} from "./types.ts";

export interface RedisRateLimiterOptions {
  url: string;
  /** Prepended to every key, so deployments (or tests) can share one Redis. */
  keyPrefix?: string;
  /** Where connection errors go; commands fail on their own and reach the caller either way. */
  logger?: Logger;
}

/**
 * Rate limits shared by every proxy process that uses the same Redis. Each admission and each
 * settlement is one Lua script (see `redis-scripts.ts`), so concurrent requests on any number of
 * processes never admit more than the limit. Errors (Redis down) reject the returned promise: whether
 * to fail open or closed is the caller's choice.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #settled = new WeakSet<Reservation>();
  readonly #admit = new LuaScript(admitScript);
  readonly #settle = new LuaScript(settleScript);

  constructor(options: RedisRateLimiterOptions) {
    this.#keyPrefix = options.keyPrefix ?? "abp:rate-limit:";
    // Many admissions in flight share one round trip; a Redis that is down fails a command after one
    // reconnection attempt (ioredis waits for twenty by default), so requests are not held waiting.
    this.#redis = new Redis(options.url, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
    const logger = options.logger;
    this.#redis.on("error", (error: Error) => logger?.warn("rate limiter lost Redis", { error }));
  }

  async admit(keyId: string, limits: RateLimits, reserveTokens: number, now?: number): Promise<Admission> {
    checkAdmitArguments(limits, reserveTokens);
    const { rpm, tpm } = limits;
    if (rpm === undefined && tpm === undefined) return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
    const reservedTokens = tpm === undefined ? 0 : Math.min(reserveTokens, tpm);
    const reply = await this.#admit.run(this.#redis, this.#keyPrefix + keyId, [...this.#common(now), rpm ?? 0, tpm ?? 0, reservedTokens]);
    const [admitted, at, requestsLevel, tokensLevel, requestsWait, tokensWait] = parseAdmitReply(reply);
    const figures: RateLimitFigures = {};
    if (rpm !== undefined) figures.requests = bucketFigures(rpm, requestsLevel, at);
    if (tpm !== undefined) figures.tokens = bucketFigures(tpm, tokensLevel, at);
    if (!admitted) return refusal(figures, requestsWait, tokensWait);
    return { admitted: true, reservation: { keyId, reservedTokens, tpm }, ...figures };
  }

  async settle(reservation: Reservation, usedTokens: number, now?: number): Promise<void> {
    checkUsedTokens(usedTokens);
    if (this.#settled.has(reservation)) return;
    // Marked before the script runs: a settlement whose reply is lost may have been applied, and giving
    // the tokens back twice would let the key exceed its limit. At most once, then.
    this.#settled.add(reservation);
    if (reservation.tpm === undefined) return;
    const giveBack = reservation.reservedTokens - usedTokens;
    await this.#settle.run(this.#redis, this.#keyPrefix + reservation.keyId, [...this.#common(now), reservation.tpm, giveBack]);
  }

  async close(): Promise<void> {
    // QUIT waits for replies to what is in flight; a connection that is not up has nothing to wait for.
    if (this.#redis.status === "ready") await this.#redis.quit();
    else this.#redis.disconnect();
  }

  /** ARGV[1..4] of both scripts: the injected clock or "" for Redis `TIME`, window, TTL, epsilon. */
  #common(now: number | undefined): (string | number)[] {
    return [now === undefined ? "" : now, refillWindowMs, idleBucketTtlMs, unitEpsilon];
  }
}

/** A script sent by its SHA-1, and in full only when Redis has not cached it (first use, restart, failover). */
class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, key: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, 1, key, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      return await redis.eval(this.#source, 1, key, ...args);
    }
  }
}

type AdmitReply = [admitted: boolean, now: number, requestsLevel: number, tokensLevel: number, requestsWaitMs: number, tokensWaitMs: number];

function parseAdmitReply(reply: unknown): AdmitReply {
  if (!Array.isArray(reply) || reply.length !== 6) throw new Error(`unexpected reply from the admit script: ${JSON.stringify(reply)}`);
  const [admitted, ...numbers] = reply.map(Number) as [number, number, number, number, number, number];
  if (numbers.some((value) => !Number.isFinite(value))) throw new Error(`unexpected reply from the admit script: ${JSON.stringify(reply)}`);
  return [admitted === 1, ...numbers];
}
