import type { Logger } from "../../../lib/log.ts";
import { MemoryRateLimiter } from "./memory.ts";
import { RedisRateLimiter, type RedisRateLimiterOptions } from "./redis.ts";
import type { RateLimiter } from "./types.ts";

/**
 * With Redis settings the limits are shared by every proxy process on that Redis; without them each
 * process counts on its own (exact for a single instance only).
 */
export function createRateLimiter(options: { redis?: Omit<RedisRateLimiterOptions, "logger"> | undefined; logger?: Logger }): RateLimiter {
  if (options.redis) return new RedisRateLimiter({ ...options.redis, logger: options.logger });
  return new MemoryRateLimiter();
}
