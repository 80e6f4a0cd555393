import { cors } from "hono/cors";
import { rateLimitHeaderNames } from "../../gateway/rate-limit/types.ts";

/**
 * CORS for browser clients (the Anthropic SDK with `dangerouslyAllowBrowser`), on `/v1` only, for the
 * origins in CORS_ORIGINS. It runs before authentication: a preflight carries no key, and an error
 * answer must carry the CORS headers too, or the browser hides it from the page.
 *
 * The requested headers are allowed as the preflight names them: the SDK sends `x-stainless-*`
 * headers whose set grows with its versions, CORS has no wildcard for a prefix, and `*` would not
 * cover `Authorization`. That lets nothing extra through: the credentials are headers the page sets
 * itself, never cookies (no `Access-Control-Allow-Credentials`).
 */
export function browserAccess(origins: "*" | string[]) {
  return cors({
    origin: origins,
    allowMethods: ["GET", "POST"],
    exposeHeaders: ["request-id", ...rateLimitHeaderNames],
    maxAge: 600,
  });
}
