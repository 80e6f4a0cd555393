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

export function newRequestId(): string {
  return `req_${Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")}`;
}
