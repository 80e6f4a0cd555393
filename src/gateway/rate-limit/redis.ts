import { createHash } from "node:crypto";
import type Redis from "ioredis";
import { ApiError } from "../../anthropic/errors.ts";
import type { Logger } from "../../../lib/log.ts";
import { Outage } from "../../outage.ts";
import { RedisConnection } from "../../redis.ts";
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

/** What a rate-limited request gets while Redis does not answer: refused (529), or admitted without limits. */
export type RedisErrorPolicy = "closed" | "open";

export interface RedisRateLimiterOptions {
  url: string;
  /** Longest an admission waits for Redis before the policy applies. */
  commandTimeoutMs: number;
  onRedisError: RedisErrorPolicy;
  /** Prepended to every key, so deployments (or tests) can share one Redis. */
  keyPrefix?: string;
  /** Where an outage is reported: once when it starts, once when it ends. */
  logger?: Logger | undefined;
  /** Told of each Redis error (metrics): see RedisConnectionOptions. */
  onConnectionError?: ((connection: string) => void) | undefined;
}

/** What a client refused during an outage is told to wait: about how long reconnection takes. */
const outageRetryAfterSeconds = 1;

/**
 * Rate limits shared by every proxy process that uses the same Redis. Each admission and each
 * settlement is one Lua script (see `redis-scripts.ts`), so concurrent requests on any number of
 * processes never admit more than the limit. When Redis does not answer within the command timeout,
 * an admission follows the operator's policy (closed: a 529 overloaded_error with retry-after; open:
 * admitted without limits) and a settlement is given up (its tokens are not given back): neither
 * throws nor waits, and the outage is logged once, not per request.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #connection: RedisConnection;
  readonly #options: RedisRateLimiterOptions;
  readonly #keyPrefix: string;
  readonly #settled = new WeakSet<Reservation>();
  readonly #admit = new LuaScript(admitScript);
  readonly #settle = new LuaScript(settleScript);
  readonly #outage = new Outage();

  constructor(options: RedisRateLimiterOptions) {
    this.#options = options;
    this.#keyPrefix = options.keyPrefix ?? "abp:rate-limit:";
    this.#connection = new RedisConnection({ url: options.url, commandTimeoutMs: options.commandTimeoutMs, name: "rate limits", log: options.logger, onError: options.onConnectionError });
  }

  async admit(keyId: string, limits: RateLimits, reserveTokens: number, now?: number): Promise<Admission> {
    checkAdmitArguments(limits, reserveTokens);
    const { rpm, tpm } = limits;
    if (rpm === undefined && tpm === undefined) return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
    const reservedTokens = tpm === undefined ? 0 : Math.min(reserveTokens, tpm);
    let reply: unknown;
    try {
      reply = await this.#admit.run(await this.#connection.client(), this.#keyPrefix + keyId, [...this.#common(now), rpm ?? 0, tpm ?? 0, reservedTokens]);
    } catch (error) {
      return this.#withoutRedis(keyId, error);
    }
    this.#endOutage();
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
    try {
      await this.#settle.run(await this.#connection.client(), this.#keyPrefix + reservation.keyId, [...this.#common(now), reservation.tpm, giveBack]);
    } catch (error) {
      this.#startOutage(error);
    }
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  /** The policy's answer to an admission Redis did not take. */
  #withoutRedis(keyId: string, error: unknown): Admission {
    this.#startOutage(error);
    if (this.#options.onRedisError === "open") return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
    throw new ApiError("overloaded_error", "Rate limits cannot be checked at the moment; retry shortly", { retryAfterSeconds: outageRetryAfterSeconds, cause: error });
  }

  #startOutage(error: unknown): void {
    if (!this.#outage.failed()) return;
    const policy = this.#options.onRedisError === "open" ? "admitted without limits" : "refused with 529";
    this.#options.logger?.error(`rate limits unavailable (Redis): rate-limited requests are ${policy} until it answers again`, { error });
  }

  #endOutage(): void {
    const ended = this.#outage.answered();
    if (ended) this.#options.logger?.info("rate limits apply again", { outage_ms: ended.ms, requests_during_outage: ended.failures });
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
