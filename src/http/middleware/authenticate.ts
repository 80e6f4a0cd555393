import { createMiddleware } from "hono/factory";
import type { Gateway } from "../../gateway/gateway.ts";
import type { AppEnv } from "../env.ts";
import { presentedKey } from "../../../lib/credentials.ts";

/** Every /v1 request names its caller: an issued key, the operator's master key, or (open mode) no one. */
export function authenticate(gateway: Gateway) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await gateway.authenticate(presentedKey((name) => c.req.header(name)));
    c.set("principal", principal);
    if (principal.kind === "key") c.set("log", c.var.log.child({ key_id: principal.key.id }));
    await next();
  });
}
