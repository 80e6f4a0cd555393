import { createMiddleware } from "hono/factory";
import { ApiError } from "../../anthropic/errors.ts";
import { presentedKey, sameSecret } from "../../../lib/credentials.ts";
import type { AppEnv } from "../env.ts";

/**
 * Only the master key opens the admin API. Without one configured it is closed to everyone: an
 * admin API that anyone could call would hand out keys.
 */
export function masterKeyOnly(expected: string | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (expected === undefined) throw new ApiError("permission_error", "the admin API is disabled: set MASTER_API_KEY");
    const presented = presentedKey((name) => c.req.header(name));
    if (!presented) throw new ApiError("authentication_error", "the admin API needs the master key in x-api-key or Authorization: Bearer");
    if (!sameSecret(presented, expected)) throw new ApiError("authentication_error", "invalid master key");
    c.set("actor", { via: "master-key" });
    await next();
  });
}
