import { type Context, Hono } from "hono";
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
      if (await auth.sessions.find(auth.cookies.get(c, sessionCookie))) return c.redirect(next, 303);
      return c.html(auth.mode === "oidc" ? oidcStart({ next }) : masterKeyForm({ next, disabled: auth.masterKey === undefined }));
    })
    .post("/sign-in", sameOrigin(auth.publicOrigin), async (c) => {
      const form = await c.req.parseBody();
      const next = returnTo(stringField(form.next));
      if (auth.mode !== "master-key" || auth.masterKey === undefined) return c.html(masterKeyForm({ next, disabled: true }), 403);
      const presented = stringField(form.master_key);
      if (!presented || !sameSecret(presented, auth.masterKey)) return c.html(masterKeyForm({ next, error: "That is not the master key.", disabled: false }), 401);
      return signedIn(c, auth, await auth.sessions.start({ via: "master-key" }), next);
    })
    .get("/auth/login", async (c) => {
      if (auth.oidc === undefined) return c.redirect(signInPath, 303);
      const { url, pending } = await auth.oidc.begin(returnTo(c.req.query("next")));
      auth.cookies.set(c, signInCookie, await auth.sessions.beginSignIn(pending), 600);
      return c.redirect(url.href, 302);
    })
    .get("/auth/callback", async (c) => {
      if (auth.oidc === undefined) return c.redirect(signInPath, 303);
      const pending = await auth.sessions.takeSignIn(auth.cookies.get(c, signInCookie));
      auth.cookies.clear(c, signInCookie);
      if (pending === undefined) return c.html(oidcStart({ next: portalHome, error: "This sign-in has expired or was not started here. Please sign in again." }), 400);
      const query = new URL(c.req.url).search;
      const outcome = await auth.oidc.finish(query, pending).catch((error: unknown) => {
        c.get("log")?.warn("OIDC sign-in refused", { error });
        return undefined;
      });
      if (outcome === undefined) return c.html(oidcStart({ next: pending.returnTo, error: "The identity provider's answer did not pass the checks. Please sign in again." }), 400);
      if (!outcome.admitted) return c.html(refusedPage(outcome.who, outcome.group), 403);
      return signedIn(c, auth, await auth.sessions.start(outcome.actor), pending.returnTo);
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

function signedIn(c: Context, auth: AdminAuth, started: { token: string }, next: string): Response {
  auth.cookies.set(c, sessionCookie, started.token, auth.sessionTtlS);
  return c.redirect(next, 303);
}

/** Only a path of the portal: anything else (another host, `//evil`, `/\evil`) would make sign-in an open redirect. */
export function returnTo(next: string | undefined): string {
  return next !== undefined && /^\/admin(\/[^\\]*)?$/.test(next) && !next.startsWith("/admin/sign-in") && !next.includes("//") ? next : portalHome;
}

function stringField(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
