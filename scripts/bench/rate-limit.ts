/**
 * `bun scripts/bench/rate-limit.ts`: what one admit + settle costs, in µs, for the in-memory and the
 * Redis rate limiter, against a no-op limiter measured in the same run (the cost of the calls and
 * promises themselves). A limiter that only sends Redis a PING in admit and in settle shows what the
 * two round trips cost on their own, so the Redis row reads as network + scripts. Starts its own
 * redis-server on a free loopback port.
 *
 * Two shapes: one request at a time (latency), and 64 in flight (what a busy proxy sees; Redis then
 * pipelines many scripts into each round trip). Keys rotate over 1,000 ids and the limits are high
 * enough that every admission passes, so the figures are of the common path.
 *
 * Options: --operations N (per measurement, default 20000).
 */

import { parseArgs } from "node:util";
import { MemoryRateLimiter } from "../../src/gateway/rate-limit/memory.ts";
import { RedisRateLimiter } from "../../src/gateway/rate-limit/redis.ts";
import type { Admission, RateLimiter, RateLimits, Reservation } from "../../src/gateway/rate-limit/types.ts";
import { RedisConnection } from "../../src/redis.ts";
import { startRedisServer } from "../../test/support/redis-server.ts";

const keyCount = 1_000;
const inFlight = 64;
const limits: RateLimits = { rpm: 1e9, tpm: 1e12 };
const reserveTokens = 4_000;
const usedTokens = 1_500;
/** The configuration's default; every admission here answers far sooner. */
const commandTimeoutMs = 500;

/** Admits everything and keeps nothing: the floor every real limiter is measured against. */
class NoOpRateLimiter implements RateLimiter {
  async admit(keyId: string): Promise<Admission> {
    return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
  }
  async settle(_reservation: Reservation, _usedTokens: number): Promise<void> {}
  async close(): Promise<void> {}
}

/** Two round trips to Redis and no script: the network floor under the Redis limiter. */
class PingRateLimiter implements RateLimiter {
  readonly #redis: RedisConnection;
  constructor(url: string) {
    // The same connection as the Redis limiter's, so only the scripts differ.
    this.#redis = new RedisConnection({ url, commandTimeoutMs, name: "bench" });
  }
  async admit(keyId: string): Promise<Admission> {
    await (await this.#redis.client()).ping();
    return { admitted: true, reservation: { keyId, reservedTokens: 0 } };
  }
  async settle(_reservation: Reservation, _usedTokens: number): Promise<void> {
    await (await this.#redis.client()).ping();
  }
  close(): Promise<void> {
    return this.#redis.close();
  }
}

async function admitAndSettle(limiter: RateLimiter, index: number): Promise<void> {
  const admission = await limiter.admit(`bench-key-${index % keyCount}`, limits, reserveTokens);
  if (!admission.admitted) throw new Error(`the bench expects every admission to pass: ${JSON.stringify(admission)}`);
  await limiter.settle(admission.reservation, usedTokens);
}

/** µs per operation, one at a time. */
async function sequential(limiter: RateLimiter, operations: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < operations; i++) await admitAndSettle(limiter, i);
  return ((performance.now() - started) * 1000) / operations;
}

/** µs per operation, amortized, with `inFlight` operations running at any moment. */
async function concurrent(limiter: RateLimiter, operations: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < operations) await admitAndSettle(limiter, next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ((performance.now() - started) * 1000) / operations;
}

interface Row {
  name: string;
  sequentialUs: number;
  concurrentUs: number;
}

async function measure(name: string, limiter: RateLimiter, operations: number): Promise<Row> {
  // Warm-up: JIT, the Redis connection and its script cache, and every key's buckets.
  await sequential(limiter, Math.max(keyCount, operations / 10));
  const sequentialUs = await sequential(limiter, operations);
  const concurrentUs = await concurrent(limiter, operations);
  await limiter.close();
  return { name, sequentialUs, concurrentUs };
}

function report(rows: Row[]): void {
  const [baseline] = rows;
  if (!baseline) return;
  const cell = (us: number, base: number) => `${us.toFixed(2).padStart(8)} µs (+${Math.max(0, us - base).toFixed(2)})`;
  console.log(`admit + settle, µs per operation (+ over the no-op baseline); ${inFlight} in flight for "concurrent"`);
  console.log(`${"limiter".padEnd(12)} ${"sequential".padEnd(24)} concurrent`);
  for (const row of rows) {
    console.log(`${row.name.padEnd(12)} ${cell(row.sequentialUs, baseline.sequentialUs).padEnd(24)} ${cell(row.concurrentUs, baseline.concurrentUs)}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { operations: { type: "string", default: "20000" } } });
  const operations = Number(values.operations);
  if (!Number.isInteger(operations) || operations <= 0) throw new Error(`--operations must be a positive integer, got ${values.operations}`);
  const redis = await startRedisServer();
  try {
    const rows = [
      await measure("no-op", new NoOpRateLimiter(), operations),
      await measure("memory", new MemoryRateLimiter(), operations),
      await measure("redis-ping", new PingRateLimiter(redis.url), operations),
      await measure("redis", new RedisRateLimiter({ url: redis.url, commandTimeoutMs, onRedisError: "closed", keyPrefix: `bench:${process.pid}:` }), operations),
    ];
    report(rows);
  } finally {
    await redis.stop();
  }
}

await main();
