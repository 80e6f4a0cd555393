import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../anthropic/errors.ts";
import { presentedKey, sameSecret } from "../../../lib/credentials.ts";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";
import type { AdminSessions } from "./admin-sessions.ts";
import { type AdminCookies, sessionCookie } from "./cookies.ts";
import { checkSessionToken, sameOrigin } from "./csrf.ts";
import type { OidcSignIn } from "./oidc.ts";
import type { AdminSession } from "./session-store.ts";

/** How operators sign in to the portal (ADMIN_AUTH); the admin API takes the master key in both. */
export type AdminAuthMode = "master-key" | "oidc";

/** Everything admin sign-in needs, built once (create-admin-auth.ts) and shared by the API, the pages and the sign-in routes. */
export interface AdminAuth {
  mode: AdminAuthMode;
  masterKey: string | undefined;
  sessions: AdminSessions;
  cookies: AdminCookies;
  /** Set when mode is oidc. */
  oidc: OidcSignIn | undefined;
  /** OIDC_REDIRECT_URL's origin, when set: the only origin changes may come from. */
  publicOrigin: string | undefined;
  sessionTtlS: number;
  close(): Promise<void>;
}

/** What `adminAuth` sets for the handlers behind it. */
export interface AdminAuthVariables {
  /** Who is acting: recorded with every change (src/gateway/audit/). */
  actor: AdminActor;
  /** The browser's session (its csrfToken goes into forms and scripts); undefined when the master key was presented. */
  adminSession: AdminSession | undefined;
}

export const signInPath = "/admin/sign-in";

/**
 * The admin API's and the portal's lock: the master key in `x-api-key` / `Authorization: Bearer`
 * (scripts, the keys CLI), or a live admin session cookie whose changes pass the CSRF checks
 * (csrf.ts). Without either, a page (`refusal: "page"`) redirects to the sign-in page and an API
 * call (`"api"`) is a 401 in the Anthropic envelope.
 */
export function adminAuth(auth: AdminAuth, refusal: "page" | "api") {
  const originCheck = sameOrigin(auth.publicOrigin);
  return createMiddleware<{ Variables: AdminAuthVariables }>(async (c, next) => {
    const presented = presentedKey((name) => c.req.header(name));
    if (presented !== undefined || (auth.mode === "master-key" && auth.masterKey === undefined)) {
      checkMasterKey(presented, auth);
      c.set("actor", { via: "master-key" });
      c.set("adminSession", undefined);
      return next();
    }
    const session = await auth.sessions.find(auth.cookies.get(c, sessionCookie)).catch((error: unknown) => {
      // The session store (Redis) does not answer: closed, and said so; the master key does not need it.
      throw new ApiError("overloaded_error", "admin sessions cannot be read at the moment; retry shortly (the master key still works)", { retryAfterSeconds: 1, cause: error });
    });
    if (session === undefined) return refuse(c, refusal);
    return originCheck(c, async () => {
      await checkSessionToken(c, session);
      c.set("actor", session.actor);
      c.set("adminSession", session);
      await next();
    });
  });
}

function checkMasterKey(presented: string | undefined, auth: AdminAuth): void {
  const expected = auth.masterKey;
  if (expected === undefined && auth.mode === "oidc") throw new ApiError("authentication_error", "no master key is set on this proxy: sign in at /admin/sign-in");
  // Without a master key and without OIDC the admin side is closed to everyone: anyone could otherwise hand out keys.
  if (expected === undefined) throw new ApiError("permission_error", "the admin API is disabled: set MASTER_API_KEY");
  if (!presented) throw new ApiError("authentication_error", "the admin API needs the master key in x-api-key or Authorization: Bearer, or an admin session");
  if (!sameSecret(presented, expected)) throw new ApiError("authentication_error", "invalid master key");
}

function refuse(c: Context, refusal: "page" | "api"): Response {
  if (refusal === "api") throw new ApiError("authentication_error", "the admin API needs the master key in x-api-key or Authorization: Bearer, or an admin session");
  const target = new URL(c.req.url);
  return c.redirect(`${signInPath}?next=${encodeURIComponent(target.pathname + target.search)}`, 302);
}
