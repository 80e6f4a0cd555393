import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CookieBrowser, type Page } from "../support/cookie-browser.ts";
import { callbackPath, proxyOidcEnv, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type RedisServer, startRedisServer } from "../support/redis-server.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * ADMIN_AUTH=oidc end to end, over HTTP: a real OpenID provider (test/support/oidc-provider.ts),
 * two proxy replicas sharing their admin sessions in a real Redis, and a cookie-jar browser that
 * goes through the provider's login and consent forms. No token is ever made up by the test.
 */

const master = "master-key-for-the-oidc-tests";
const clientId = "gateway-portal";
const clientSecret = "client-secret-of-the-portal";
const adminGroup = "gateway-admins";
const users = {
  ada: { id: "ada", password: "ada-password", email: "ada@example.com", name: "Ada Lovelace", groups: [adminGroup, "staff"] },
  bob: { id: "bob", password: "bob-password", email: "bob@example.com", name: "Bob", groups: ["staff"] },
  carol: { id: "carol", password: "carol-password", name: "Carol" },
};

let redis: RedisServer;
let provider: TestOidcProvider;
let proxies: (ServiceProcess & { url: string })[];
let proxy: string;

beforeAll(async () => {
  [redis, provider] = await Promise.all([startRedisServer(), startOidcProvider({ users: Object.values(users) })]);
  const redirectUris: string[] = [];
  const replica = () =>
    startProxyProcess((url) => {
      redirectUris.push(`${url}${callbackPath}`);
      provider.addClient({ clientId, clientSecret, redirectUris });
      return { MASTER_API_KEY: master, SQLITE_PATH: ":memory:", REDIS_URL: redis.url, ...proxyOidcEnv(provider, { clientId, clientSecret }, url, adminGroup) };
    });
  proxies = [await replica(), await replica()];
  proxy = proxies[0]?.url ?? "";
}, 60_000);

afterAll(async () => {
  await Promise.all([...(proxies ?? []).map((p) => p.stop()), provider?.stop(), redis?.stop()]);
});

const isCallback = (url: URL) => url.pathname === callbackPath;
const isAuthorize = (url: URL) => url.origin === provider.issuer && url.pathname === "/auth";

/** Starts at the proxy's sign-in, goes through the provider's forms, and stops at the callback URL the provider sends the browser to. */
async function throughProvider(browser: CookieBrowser, user: { id: string; password: string }, from = `${proxy}/admin/auth/login?next=/admin/keys`): Promise<string> {
  const login = await browser.navigate(from);
  expect(login.url.startsWith(`${provider.issuer}/interaction/`)).toBe(true);
  const consent = await browser.submitForm(login, { login: user.id, password: user.password });
  const callback = await browser.submitForm(consent, {}, isCallback);
  expect(new URL(callback.url).searchParams.get("code")).toBeTruthy();
  return callback.url;
}

async function signIn(user: { id: string; password: string }, base = proxy): Promise<{ browser: CookieBrowser; landed: Page }> {
  const browser = new CookieBrowser();
  const callback = await throughProvider(browser, user, `${base}/admin/auth/login?next=/admin/keys`);
  const landed = await browser.navigate(callback, {}, (url) => url.pathname === "/admin/keys");
  return { browser, landed };
}

async function session(browser: CookieBrowser, base = proxy): Promise<{ status: number; body: { actor?: unknown; csrf_token?: string; expires_at?: string } }> {
  const response = await browser.request(`${base}/admin/auth/session`);
  return { status: response.status, body: (await response.json()) as { actor?: unknown; csrf_token?: string; expires_at?: string } };
}

async function keyNames(): Promise<string[]> {
  const response = await fetch(`${proxy}/admin/api/keys`, { headers: { "x-api-key": master } });
  return ((await response.json()) as { data: { name: string }[] }).data.map((key) => key.name);
}

describe("OIDC sign-in", () => {
  test("an admin signs in through the provider, lands where they were going, and reaches the admin API with the session", async () => {
    const { browser, landed } = await signIn(users.ada);
    expect(landed.status).toBe(303);
    expect(landed.url).toBe(`${proxy}/admin/keys`);
    const cookie = browser.cookie(proxy, "abp-admin-session");
    expect(cookie?.raw).toMatch(/HttpOnly/);
    expect(cookie?.raw).toMatch(/SameSite=Lax/);
    expect(cookie?.raw).toMatch(/Path=\//);
    expect(cookie?.raw).not.toMatch(/Secure/); // plain http on loopback: a Secure cookie would never come back
    expect(browser.cookie(proxy, "abp-admin-sign-in")).toBeUndefined();

    const who = await session(browser);
    expect(who).toEqual({ status: 200, body: { actor: { via: "oidc", subject: "ada", email: "ada@example.com", name: "Ada Lovelace" }, csrf_token: expect.any(String), expires_at: expect.any(String) } });
    expect((await browser.request(`${proxy}/admin/api/keys`)).status).toBe(200);
    const created = await browser.request(`${proxy}/admin/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: proxy, "x-csrf-token": who.body.csrf_token ?? "" },
      body: JSON.stringify({ name: "made by ada" }),
    });
    expect(created.status).toBe(201);
    expect(await keyNames()).toContain("made by ada");
  }, 30_000);

  test("the session is honoured by every replica (Redis), and signing out on one ends it on all", async () => {
    const { browser } = await signIn(users.ada);
    const other = proxies[1]?.url ?? "";
    expect((await session(browser, other)).status).toBe(200);
    const stolen = browser.cookieHeader(new URL(proxy));

    const { csrf_token } = (await session(browser)).body;
    const out = await browser.request(`${other}/admin/sign-out`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: other },
      body: new URLSearchParams({ _csrf: csrf_token ?? "" }),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/sign-in");
    expect(browser.cookie(proxy, "abp-admin-session")).toBeUndefined();
    // The cookie the browser dropped opens nothing anywhere, even replayed by whoever copied it.
    for (const base of [proxy, other]) {
      const response = await fetch(`${base}/admin/api/keys`, { headers: { cookie: stolen } });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    }
  }, 30_000);

  test("a user outside the admin group is refused with a page that says so, and gets no session", async () => {
    const { browser, landed } = await signIn(users.bob);
    expect(landed.status).toBe(403);
    expect(landed.headers.get("content-type")).toMatch(/text\/html/);
    expect(landed.text).toContain("bob@example.com");
    expect(landed.text).toContain(`not as a member of the group <strong>${adminGroup}</strong>`);
    expect(browser.cookie(proxy, "abp-admin-session")).toBeUndefined();
    expect((await session(browser)).status).toBe(401);
  }, 30_000);

  test("a user whose ID token has no groups claim at all is refused too", async () => {
    const { landed } = await signIn(users.carol);
    expect(landed.status).toBe(403);
    expect(landed.text).toContain("Carol");
  }, 30_000);

  test("a callback whose state was changed is refused, and the sign-in cannot be completed after", async () => {
    const browser = new CookieBrowser();
    const callback = new URL(await throughProvider(browser, users.ada));
    const genuine = callback.href;
    callback.searchParams.set("state", "forged-state");
    const refused = await browser.navigate(callback.href);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("did not pass the checks");
    expect((await session(browser)).status).toBe(401);
    // The sign-in was used up by the forged attempt: the genuine callback does not complete it.
    expect((await browser.navigate(genuine)).status).toBe(400);
    expect((await session(browser)).status).toBe(401);
  }, 30_000);

  test("an ID token for another nonce is refused", async () => {
    const browser = new CookieBrowser();
    const authorize = await browser.navigate(`${proxy}/admin/auth/login`, {}, isAuthorize);
    const tampered = new URL(authorize.url);
    expect(tampered.searchParams.get("nonce")).toBeTruthy();
    expect(tampered.searchParams.get("code_challenge_method")).toBe("S256");
    tampered.searchParams.set("nonce", "a-nonce-of-the-attackers-choosing");
    const callback = await throughProvider(browser, users.ada, tampered.href);
    const refused = await browser.navigate(callback);
    expect(refused.status).toBe(400);
    expect((await session(browser)).status).toBe(401);
  }, 30_000);

  test("a callback replayed in another browser (no sign-in cookie there) is refused", async () => {
    const callback = await throughProvider(new CookieBrowser(), users.ada);
    const victim = new CookieBrowser();
    const refused = await victim.navigate(callback);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("expired or was not started here");
    expect(victim.cookie(proxy, "abp-admin-session")).toBeUndefined();
  }, 30_000);

  test("a cross-site POST is refused although the browser sends the session cookie", async () => {
    const { browser } = await signIn(users.ada);
    const { csrf_token } = (await session(browser)).body;
    const before = await keyNames();
    const post = (headers: Record<string, string>, body: string) => browser.request(`${proxy}/admin/api/keys`, { method: "POST", headers, body });
    const form = "application/x-www-form-urlencoded";
    const attempts = [
      // What a form on another site can send: the cookie, its own Origin, no token.
      await post({ "content-type": form, origin: "http://evil.example" }, "name=forged"),
      // Even with the token (had it leaked), not from another origin.
      await post({ "content-type": form, origin: "http://evil.example", "x-csrf-token": csrf_token ?? "" }, "name=forged"),
      // Same origin but no token: refused too.
      await post({ "content-type": "application/json", origin: proxy }, JSON.stringify({ name: "forged" })),
      await post({ "content-type": "application/json", origin: proxy, "x-csrf-token": "not-the-token" }, JSON.stringify({ name: "forged" })),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });
    }
    const signOut = await browser.request(`${proxy}/admin/sign-out`, { method: "POST", headers: { "content-type": form, origin: "http://evil.example" }, body: `_csrf=${csrf_token}` });
    expect(signOut.status).toBe(403);
    expect((await session(browser)).status).toBe(200);
    expect(await keyNames()).toEqual(before);
  }, 30_000);

  test("while Redis is down a session is refused with a 529 to retry, and the master key still works", async () => {
    const { browser } = await signIn(users.ada);
    await redis.stop();
    try {
      const response = await browser.request(`${proxy}/admin/api/keys`);
      expect(response.status).toBe(529);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
      expect((await fetch(`${proxy}/admin/api/keys`, { headers: { "x-api-key": master } })).status).toBe(200);
    } finally {
      await redis.start();
    }
  }, 30_000);

  test("the admin API still takes the master key, with no session at all", async () => {
    const response = await fetch(`${proxy}/admin/api/keys`, { method: "POST", headers: { authorization: `Bearer ${master}`, "content-type": "application/json" }, body: JSON.stringify({ name: "made by a script" }) });
    expect(response.status).toBe(201);
    expect((await fetch(`${proxy}/admin/api/keys`)).status).toBe(401);
  });
});

describe("OIDC sign-in without OIDC_ADMIN_GROUP, as a public client", () => {
  let open: ServiceProcess & { url: string };
  beforeAll(async () => {
    open = await startProxyProcess((url) => {
      provider.addClient({ clientId: "public-portal", redirectUris: [`${url}/admin/auth/callback`] });
      return {
        MASTER_API_KEY: master,
        SQLITE_PATH: ":memory:",
        ADMIN_AUTH: "oidc",
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: "public-portal",
        OIDC_REDIRECT_URL: `${url}/admin/auth/callback`,
      };
    });
  }, 30_000);
  afterAll(async () => {
    await open?.stop();
  });

  test("any user the provider signs in is an admin, groups or not (PKCE alone, no client secret)", async () => {
    for (const user of [users.bob, users.carol]) {
      const { browser, landed } = await signIn(user, open.url);
      expect(landed.status).toBe(303);
      expect((await session(browser, open.url)).body.actor).toMatchObject({ via: "oidc", subject: user.id });
    }
  }, 30_000);
});
