/**
 * One of the proxy processes in the Redis cross-process test: connects its own Redis rate limiter,
 * says `ready`, waits for a line on stdin so every worker starts at once, fires its admissions in
 * parallel on the limiter's own clock (Redis `TIME`), and prints how many were admitted. Each admission
 * starts after a random delay of up to `spreadMs`, as requests from many clients would: otherwise one
 * process's whole batch leaves in one pipeline and may be done before the other's arrives.
 *
 * Usage: bun admit-worker.ts <redis url> <key id> <limits as JSON> <tokens to reserve> <admissions>
 */
import { RedisRateLimiter } from "../../../src/gateway/rate-limit/redis.ts";
import type { RateLimits } from "../../../src/gateway/rate-limit/types.ts";

const [url, keyId, limitsJson, reserve, count] = process.argv.slice(2);
if (!url || !keyId || !limitsJson || !reserve || !count) throw new Error("usage: admit-worker.ts <redis url> <key id> <limits JSON> <reserve> <admissions>");
const limits = JSON.parse(limitsJson) as RateLimits;

const limiter = new RedisRateLimiter({ url, commandTimeoutMs: 500, onRedisError: "closed" });
// A first command proves the connection before the start signal, so connecting is not raced.
await limiter.admit(`${keyId}:warm-up`, { rpm: 1 }, 0);
console.log("ready");
for await (const _line of console) break;

const spreadMs = 200;
const admissions = await Promise.all(
  Array.from({ length: Number(count) }, async () => {
    await Bun.sleep(Math.random() * spreadMs);
    return await limiter.admit(keyId, limits, Number(reserve));
  }),
);
console.log(JSON.stringify({ admitted: admissions.filter((admission) => admission.admitted).length }));
await limiter.close();
