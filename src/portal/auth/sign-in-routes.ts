import { type Context, Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AdminActor } from "../../gateway/audit/audit-entry.ts";
import { sameSecret } from "../../../lib/credentials.ts";
import type { Logger } from "../../../lib/log.ts";
import { type AdminAuth, adminAuth, signInPath } from "./admin-auth.ts";
import { sessionCookie, signInCookie } from "./cookies.ts";
import { sameOrigin } from "./csrf.ts";
import { masterKeyForm, oidcStart, refusedPage } from "./sign-in-pages.ts";

/** Where a signed-in operator lands when the sign-in did not say. */
const portalHome = "/admin/";

/**
 * Signing in and out, mounted at /admin: GET/POST /sign-in (the master-key form, or the button that
 * starts OIDC), GET /auth/login and /auth/callback (the OIDC code flow, oidc.ts), GET /auth/session
 * (who is signed in, and the CSRF token scripts send), POST /sign-out.
 */
export function signInRoutes(auth: AdminAuth) {
  return new Hono<{ Variables: { log: Logger } }>()
    .get("/sign-in", async (c) => {
      const next = returnTo(c.req.query("next"));
      // Already signed in: straight on. A session store that does not answer shows the form (signing in then says what is wrong).
      if (await auth.sessions.find(auth.cookies.get(c, sessionCookie)).catch(() => undefined)) return c.redirect(next, 303);
      return page(c, auth.mode === "oidc" ? oidcStart({ next }) : masterKeyForm({ next, disabled: auth.masterKey === undefined }));
    })
    .post("/sign-in", sameOrigin(auth.publicOrigin), async (c) => {
      const form = await c.req.parseBody();
      const next = returnTo(stringField(form.next));
      if (auth.mode !== "master-key" || auth.masterKey === undefined) return page(c, masterKeyForm({ next, disabled: true }), 403);
      const presented = stringField(form.master_key);
      if (!presented || !sameSecret(presented, auth.masterKey)) return page(c, masterKeyForm({ next, error: "That is not the master key.", disabled: false }), 401);
      return signedIn(c, auth, { via: "master-key" }, next);
    })
    .get("/auth/login", async (c) => {
      if (auth.oidc === undefined) return c.redirect(signInPath, 303);
      const next = returnTo(c.req.query("next"));
      const started = await auth.oidc.begin(next).catch((error: unknown) => {
        c.get("log")?.warn("OIDC discovery failed", { error });
        return undefined;
      });
      if (started === undefined) return page(c, oidcStart({ next, error: "The identity provider cannot be reached. Please try again shortly." }), 502);
      auth.cookies.set(c, signInCookie, await auth.sessions.beginSignIn(started.pending), 600);
      return c.redirect(started.url.href, 302);
    })
    .get("/auth/callback", async (c) => {
      if (auth.oidc === undefined) return c.redirect(signInPath, 303);
      const pending = await auth.sessions.takeSignIn(auth.cookies.get(c, signInCookie));
      auth.cookies.clear(c, signInCookie);
      if (pending === undefined) return page(c, oidcStart({ next: portalHome, error: "This sign-in has expired or was not started here. Please sign in again." }), 400);
      const query = new URL(c.req.url).search;
      const outcome = await auth.oidc.finish(query, pending).catch((error: unknown) => {
        c.get("log")?.warn("OIDC sign-in refused", { error });
        return undefined;
      });
      if (outcome === undefined) return page(c, oidcStart({ next: pending.returnTo, error: "The identity provider's answer did not pass the checks. Please sign in again." }), 400);
      if (!outcome.admitted) return page(c, refusedPage(outcome.who, outcome.group), 403);
      return signedIn(c, auth, outcome.actor, pending.returnTo);
    })
    .get("/auth/session", adminAuth(auth, "api"), (c) => {
      const session = c.var.adminSession;
      return c.json({ actor: c.var.actor, csrf_token: session?.csrfToken ?? null, expires_at: session?.expiresAt ?? null });
    })
    .post("/sign-out", adminAuth(auth, "page"), async (c) => {
      await auth.sessions.end(auth.cookies.get(c, sessionCookie));
      auth.cookies.clear(c, sessionCookie);
      return c.redirect(signInPath, 303);
    });
}

/** A new session on every sign-in (never one a cookie planted before it), and the one it replaces ended. */
async function signedIn(c: Context, auth: AdminAuth, actor: AdminActor, next: string): Promise<Response> {
  await auth.sessions.end(auth.cookies.get(c, sessionCookie));
  auth.cookies.set(c, sessionCookie, (await auth.sessions.start(actor)).token, auth.sessionTtlS);
  return c.redirect(next, 303);
}

/** Sign-in pages are never cached, never framed (no clickjacking of the form), and load nothing. */
function page(c: Context, body: HtmlEscapedString | Promise<HtmlEscapedString>, status: 200 | 400 | 401 | 403 | 502 = 200): Response | Promise<Response> {
  c.header("cache-control", "no-store");
  c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  c.header("x-frame-options", "DENY");
  return c.html(body, status);
}

/** Only a path of the portal: anything else (another host, `//evil`, `/\evil`) would make sign-in an open redirect. */
export function returnTo(next: string | undefined): string {
  return next !== undefined && /^\/admin(\/[^\\]*)?$/.test(next) && !next.startsWith("/admin/sign-in") && !next.includes("//") ? next : portalHome;
}

function stringField(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
