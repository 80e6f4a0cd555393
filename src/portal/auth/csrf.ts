import type { Context } from "hono";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../../anthropic/errors.ts";
import { sameSecret } from "../../../lib/credentials.ts";
import { requestScheme } from "./cookies.ts";
import type { AdminSession } from "./session-store.ts";

/**
 * Cross-site request forgery, two locks. (1) Hono's stock `csrf` middleware: a form post whose
 * Origin is not the portal's own (and whose Sec-Fetch-Site is not same-origin) is refused. (2) A
 * per-session token that every change made with the session cookie carries, in the `_csrf` field of
 * a form or the `x-csrf-token` header of a script's request: a cross-site page can make the browser
 * send the cookie, but cannot read the token. Requests carrying the master key need neither: no
 * browser adds that header on its own.
 */

export const csrfField = "_csrf";
export const csrfHeader = "x-csrf-token";

/** Form posts only from the portal's origin: OIDC_REDIRECT_URL's when set, else the one the request was addressed to. */
export function sameOrigin(publicOrigin: string | undefined) {
  const stock = csrf({ origin: (origin, c) => origin === (publicOrigin ?? requestOrigin(c)) });
  return createMiddleware(async (c, next) => {
    // The stock middleware's refusal is a bare 403: give it the admin API's envelope and say why.
    await stock(c, async () => {}).catch((error: unknown) => {
      throw error instanceof HTTPException ? new ApiError("permission_error", "cross-site request refused: it does not come from the admin portal's origin") : error;
    });
    await next();
  });
}

function requestOrigin(c: Context): string {
  const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim() || c.req.header("host") || new URL(c.req.url).host;
  return `${requestScheme(c)}://${host}`;
}

const safeMethod = /^(GET|HEAD|OPTIONS)$/;
const formContentType = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/** Throws a 403 unless a state-changing request made with this session carries its token. */
export async function checkSessionToken(c: Context, session: AdminSession): Promise<void> {
  if (safeMethod.test(c.req.method)) return;
  const presented = c.req.header(csrfHeader) ?? (await formField(c));
  if (presented === undefined || !sameSecret(presented, session.csrfToken)) {
    throw new ApiError("permission_error", `a change made with an admin session needs its CSRF token (the ${csrfField} form field or the ${csrfHeader} header)`);
  }
}

async function formField(c: Context): Promise<string | undefined> {
  if (!formContentType.test(c.req.header("content-type") ?? "")) return undefined;
  const value = (await c.req.parseBody())[csrfField];
  return typeof value === "string" ? value : undefined;
}
