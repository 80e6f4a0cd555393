/**
 * The Lua scripts the Redis rate limiter runs. Redis runs a script to its end before any other
 * command, so each admission reads and writes both buckets of a key with no other process in between.
 *
 * One hash per API key holds both buckets: `requests`/`requestsAt` and `tokens`/`tokensAt` (levels,
 * and the epoch ms they were computed at). A missing field or key is a full bucket; every write renews
 * the key's TTL, which is long enough for any bucket to be full again (see `idleBucketTtlMs`).
 *
 * Time: ARGV[1] is the caller's clock in epoch ms when a test injects one, or empty, and then the
 * script reads Redis's own `TIME`. With one clock for every proxy process, skewed hosts cannot refill
 * a shared bucket early or late. Redis 5+ replicates scripts by their effects, so `TIME` is allowed here.
 *
 * Numbers go in and out as strings: Redis would truncate a Lua number reply to an integer, and
 * `%.17g` keeps levels and times exact across the round trip.
 */

const prelude = `
local key = KEYS[1]
local window = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end

local function exact(number)
  return string.format('%.17g', number)
end

local function clamp(level, capacity)
  return math.min(capacity, math.max(-capacity, level))
end

-- The bucket brought up to now. A clock that steps back refills nothing and the later time is kept.
local function refill(capacity, level, at)
  level = tonumber(level)
  at = tonumber(at)
  if not level or not at then return capacity, now end
  local elapsed = math.max(0, now - at)
  return math.min(capacity, clamp(level, capacity) + elapsed * capacity / window), math.max(now, at)
end
`;

/**
 * ARGV: now, window ms, TTL ms, epsilon, rpm, tpm (0: unlimited), tokens to reserve (already cut to tpm).
 * Returns {admitted 0|1, now, requests level, tokens level, requests wait ms, tokens wait ms}, with the
 * levels after taking on an admission and as found on a refusal (which writes nothing).
 */
export const admitScript = `${prelude}
local rpm = tonumber(ARGV[5])
local tpm = tonumber(ARGV[6])
local reserve = tonumber(ARGV[7])
local stored = redis.call('HMGET', key, 'requests', 'requestsAt', 'tokens', 'tokensAt')

local function wait(capacity, level, need)
  if level + epsilon >= need then return 0 end
  return (need - level) * window / capacity
end

local requests, requestsAt, tokens, tokensAt = 0, now, 0, now
local requestsWait, tokensWait = 0, 0
if rpm > 0 then
  requests, requestsAt = refill(rpm, stored[1], stored[2])
  requestsWait = wait(rpm, requests, 1)
end
if tpm > 0 then
  tokens, tokensAt = refill(tpm, stored[3], stored[4])
  tokensWait = wait(tpm, tokens, reserve)
end

if requestsWait > 0 or tokensWait > 0 then
  return {0, exact(now), exact(requests), exact(tokens), exact(requestsWait), exact(tokensWait)}
end
local fields = {}
if rpm > 0 then
  requests = requests - 1
  table.insert(fields, 'requests'); table.insert(fields, exact(requests))
  table.insert(fields, 'requestsAt'); table.insert(fields, exact(requestsAt))
end
if tpm > 0 then
  tokens = tokens - reserve
  table.insert(fields, 'tokens'); table.insert(fields, exact(tokens))
  table.insert(fields, 'tokensAt'); table.insert(fields, exact(tokensAt))
end
if #fields > 0 then
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, ttl)
end
return {1, exact(now), exact(requests), exact(tokens), '0', '0'}
`;

/**
 * ARGV: now, window ms, TTL ms, epsilon, tpm at admission, tokens given back (reserved − used: negative
 * when more was used, which puts the bucket into debt down to −tpm). Returns nothing.
 */
export const settleScript = `${prelude}
local tpm = tonumber(ARGV[5])
local giveBack = tonumber(ARGV[6])
local stored = redis.call('HMGET', key, 'tokens', 'tokensAt')
local tokens, tokensAt = refill(tpm, stored[1], stored[2])
redis.call('HSET', key, 'tokens', exact(clamp(tokens + giveBack, tpm)), 'tokensAt', exact(tokensAt))
redis.call('PEXPIRE', key, ttl)
return 0
`;
