import { createMiddleware } from "hono/factory";
import type { Logger } from "../../../lib/log.ts";
import type { AppEnv } from "../env.ts";

/** Every response carries a `request-id`, and every log line of the request names it. */
export function requestId(log: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const id = newRequestId();
    c.set("requestId", id);
    c.set("log", log.child({ request_id: id }));
    c.header("request-id", id);
    await next();
  });
}

/**
 * Request ids sort by the time they were made: the millisecond clock (7 characters, enough until
 * 2109), then 12 random bytes (16 characters), all in base64url's characters. The clock's characters
 * are taken in their ASCII order, so ids compare as their times do: the usage table is keyed by
 * request id, and ids in order are appended to its B-tree instead of inserted at random pages
 * (docs/performance.md#ordered-request-ids).
 */
const sortedBase64url = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const clockCharacters = 7;

export function newRequestId(now = Date.now()): string {
  let clock = "";
  for (let rest = now, i = 0; i < clockCharacters; i++, rest = Math.floor(rest / 64)) clock = sortedBase64url.charAt(rest % 64) + clock;
  return `req_${clock}${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("base64url")}`;
}
