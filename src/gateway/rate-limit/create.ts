import type { Logger } from "../../log.ts";
import { MemoryRateLimiter } from "./memory.ts";
import { RedisRateLimiter } from "./redis.ts";
import type { RateLimiter } from "./types.ts";

/**
 * With `REDIS_URL` the limits are shared by every proxy process on that Redis; without it each
 * process counts on its own (exact for a single instance only).
 */
export function createRateLimiter(options: { redisUrl?: string; logger?: Logger }): RateLimiter {
  if (options.redisUrl) return new RedisRateLimiter({ url: options.redisUrl, logger: options.logger });
  return new MemoryRateLimiter();
}
