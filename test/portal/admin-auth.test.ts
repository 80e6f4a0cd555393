import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createLogger } from "../../lib/log.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { notFound, renderError } from "../../src/http/errors.ts";
import { requestId } from "../../src/http/middleware/request-id.ts";
import { adminAuth } from "../../src/portal/auth/admin-auth.ts";
import { createAdminAuth } from "../../src/portal/auth/create-admin-auth.ts";
import { returnTo, signInRoutes } from "../../src/portal/auth/sign-in-routes.ts";

/** adminAuth in process: what a portal page and the API each get without a session, cookie flags behind TLS, the settings. */

const master = "master-key-for-the-admin-auth-tests";
const quiet = createLogger("error", {}, () => {});

function portal(env: Record<string, string> = {}) {
  const auth = createAdminAuth(loadConfig({ MASTER_API_KEY: master, ...env }), quiet);
  const app = new Hono<AppEnv>()
    .use(requestId(quiet))
    .route("/admin", signInRoutes(auth))
    .get("/admin/keys", adminAuth(auth, "page"), (c) => c.text(`page for ${c.var.actor.via}`))
    .post("/admin/keys", adminAuth(auth, "page"), (c) => c.text("changed"))
    .get("/admin/api/keys", adminAuth(auth, "api"), (c) => c.json({ actor: c.var.actor }))
    .notFound(notFound)
    .onError(renderError);
  return { app, auth };
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields),
});

describe("adminAuth", () => {
  test("without a session a page redirects to the sign-in (keeping where it was going), an API call is a 401 envelope", async () => {
    const { app } = portal();
    const page = await app.request("/admin/keys?owner=team-a");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/admin/sign-in?next=${encodeURIComponent("/admin/keys?owner=team-a")}`);
    const api = await app.request("/admin/api/keys");
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ type: "error", error: { type: "authentication_error" }, request_id: expect.stringMatching(/^req_/) });
  });

  test("the master key header passes pages and API alike as the master-key actor; a wrong one is 401 even for a page", async () => {
    const { app } = portal();
    expect(await (await app.request("/admin/keys", { headers: { "x-api-key": master } })).text()).toBe("page for master-key");
    expect(await (await app.request("/admin/api/keys", { headers: { authorization: `Bearer ${master}` } })).json()).toEqual({ actor: { via: "master-key" } });
    expect((await app.request("/admin/keys", { headers: { "x-api-key": "wrong" } })).status).toBe(401);
  });

  test("behind TLS (X-Forwarded-Proto: https) the session cookie is Secure with the __Host- prefix, and is read back", async () => {
    const { app } = portal();
    const signedIn = await app.request("https://gw.example/admin/sign-in", form({ master_key: master }, { origin: "https://gw.example" }));
    expect(signedIn.status).toBe(303);
    const setCookie = signedIn.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-abp-admin-session=[\w-]{43}; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const cookie = setCookie.split(";")[0] ?? "";
    expect(await (await app.request("https://gw.example/admin/keys", { headers: { cookie } })).text()).toBe("page for master-key");

    const forwarded = await app.request("http://10.0.0.5:8080/admin/sign-in", form({ master_key: master }, { origin: "https://gw.example", host: "gw.example", "x-forwarded-proto": "https" }));
    expect(forwarded.headers.get("set-cookie")).toMatch(/^__Host-abp-admin-session=.*; Secure; SameSite=Lax$/);
  });

  test("a page's form change needs the session's token in _csrf; the stock Origin check refuses another site", async () => {
    const { app } = portal();
    const signedIn = await app.request("http://gw.test/admin/sign-in", form({ master_key: master }, { origin: "http://gw.test" }));
    const cookie = signedIn.headers.get("set-cookie")?.split(";")[0] ?? "";
    const session = (await (await app.request("http://gw.test/admin/auth/session", { headers: { cookie } })).json()) as { csrf_token: string };
    const post = (fields: Record<string, string>, origin: string) => app.request("http://gw.test/admin/keys", form(fields, { cookie, origin }));
    expect((await post({}, "http://gw.test")).status).toBe(403);
    expect((await post({ _csrf: "wrong" }, "http://gw.test")).status).toBe(403);
    expect((await post({ _csrf: session.csrf_token }, "http://other.test")).status).toBe(403);
    const accepted = await post({ _csrf: session.csrf_token }, "http://gw.test");
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe("changed");
  });

  test("with an https OIDC_REDIRECT_URL cookies are always Secure, whatever a replica sees, and only its origin may post", async () => {
    const { app, auth } = portal({
      ADMIN_AUTH: "oidc",
      OIDC_ISSUER: "https://idp.example",
      OIDC_CLIENT_ID: "portal",
      OIDC_REDIRECT_URL: "https://gw.example/admin/auth/callback",
    });
    // No master-key form in OIDC mode, and a post from the address a replica sees internally is not from the portal.
    expect((await app.request("http://10.0.0.5/admin/sign-in", form({ master_key: master }, { origin: "http://10.0.0.5" }))).status).toBe(403);
    const page = await app.request("http://10.0.0.5/admin/sign-in?next=/admin/keys");
    expect(await page.text()).toContain('href="/admin/auth/login?next=%2Fadmin%2Fkeys"');
    const cookies = new Hono().get("/", (c) => {
      auth.cookies.set(c, "probe", "value", 60);
      return c.body(null, 204);
    });
    expect((await cookies.request("http://10.0.0.5/")).headers.get("set-cookie")).toBe("__Host-probe=value; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax");
  });

  test("signing in again starts a new session and ends the one the browser had; sign-in pages are not cached or framed", async () => {
    const { app } = portal();
    const signIn = async (cookie = "") =>
      (await app.request("http://gw.test/admin/sign-in", form({ master_key: master }, { origin: "http://gw.test", cookie }))).headers.get("set-cookie")?.split(";")[0] ?? "";
    const first = await signIn();
    const second = await signIn(first);
    expect(second).not.toBe(first);
    expect((await app.request("http://gw.test/admin/api/keys", { headers: { cookie: first } })).status).toBe(401);
    expect((await app.request("http://gw.test/admin/api/keys", { headers: { cookie: second } })).status).toBe(200);

    const page = await app.request("http://gw.test/admin/sign-in");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
  });

  test("an identity provider that cannot be reached is a page saying so, not an error", async () => {
    // A loopback port nothing listens on (the tests never reach beyond loopback).
    const { app } = portal({ ADMIN_AUTH: "oidc", OIDC_ISSUER: "http://127.0.0.1:9", OIDC_CLIENT_ID: "portal", OIDC_REDIRECT_URL: "http://127.0.0.1:8080/admin/auth/callback" });
    const page = await app.request("http://127.0.0.1:8080/admin/auth/login?next=/admin/keys");
    expect(page.status).toBe(502);
    expect(await page.text()).toContain("The identity provider cannot be reached.");
  });

  test("where a sign-in lands is only ever a portal path", () => {
    expect(returnTo("/admin/keys?status=active")).toBe("/admin/keys?status=active");
    expect(returnTo("/admin")).toBe("/admin");
    for (const next of [undefined, "", "https://evil.example/admin", "//evil.example", "/admin//evil.example", "/admin/\\evil", "/administrator", "/admin/sign-in", "/v1/messages"]) {
      expect(returnTo(next)).toBe("/admin/");
    }
  });
});

describe("admin sign-in settings", () => {
  test("master-key is the default; sessions last 8 hours; groups come from cognito:groups", () => {
    expect(loadConfig({})).toMatchObject({ ADMIN_AUTH: "master-key", ADMIN_SESSION_TTL_S: 28_800, OIDC_GROUPS_CLAIM: "cognito:groups" });
  });

  test("ADMIN_AUTH=oidc without its issuer, client or callback stops start-up naming each", () => {
    expect(() => loadConfig({ ADMIN_AUTH: "oidc" })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_AUTH: "oidc" })).toThrow(/OIDC_ISSUER: is required with ADMIN_AUTH=oidc[\s\S]*OIDC_CLIENT_ID: is required[\s\S]*OIDC_REDIRECT_URL: is required/);
    const complete = { ADMIN_AUTH: "oidc", OIDC_ISSUER: "https://idp.example", OIDC_CLIENT_ID: "portal", OIDC_REDIRECT_URL: "https://gw.example/admin/auth/callback" };
    expect(loadConfig(complete)).toMatchObject(complete);
    expect(() => loadConfig({ ...complete, OIDC_ISSUER: undefined })).toThrow(/OIDC_ISSUER/);
  });

  test("an issuer or callback over plain http is refused unless on loopback; the callback must be /admin/auth/callback", () => {
    const base = { ADMIN_AUTH: "oidc", OIDC_CLIENT_ID: "portal", OIDC_REDIRECT_URL: "https://gw.example/admin/auth/callback" };
    expect(() => loadConfig({ ...base, OIDC_ISSUER: "http://idp.example" })).toThrow(/OIDC_ISSUER: must be an https:\/\/ URL/);
    expect(loadConfig({ ...base, OIDC_ISSUER: "http://127.0.0.1:9000" }).OIDC_ISSUER).toBe("http://127.0.0.1:9000");
    expect(() => loadConfig({ ...base, OIDC_ISSUER: "https://idp.example", OIDC_REDIRECT_URL: "https://gw.example/callback" })).toThrow(/OIDC_REDIRECT_URL: must end with \/admin\/auth\/callback/);
    expect(() => loadConfig({ ADMIN_AUTH: "ldap" })).toThrow(/ADMIN_AUTH/);
    expect(() => loadConfig({ ADMIN_SESSION_TTL_S: "0" })).toThrow(/ADMIN_SESSION_TTL_S/);
  });
});
