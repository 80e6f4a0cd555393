import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CookieBrowser } from "../support/cookie-browser.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/** ADMIN_AUTH=master-key (the default) over HTTP: the sign-in form, its session, its expiry. Sessions in memory (no REDIS_URL). */

const master = "master-key-for-the-sign-in-form";
const ttlS = 2;
let proxy: ServiceProcess & { url: string };

beforeAll(async () => {
  proxy = await startProxyProcess({ MASTER_API_KEY: master, SQLITE_PATH: ":memory:", ADMIN_SESSION_TTL_S: String(ttlS) });
}, 30_000);
afterAll(async () => {
  await proxy?.stop();
});

async function signIn(browser: CookieBrowser, fields: Record<string, string>) {
  const form = await browser.navigate(`${proxy.url}/admin/sign-in?next=/admin/keys`);
  expect(form.status).toBe(200);
  return browser.submitForm(form, fields, (url) => url.pathname === "/admin/keys");
}

const sessionStatus = async (browser: CookieBrowser) => (await browser.request(`${proxy.url}/admin/auth/session`)).status;

describe("master-key sign-in", () => {
  test("the form takes the master key: a session opens the admin API; a wrong key is refused on the form", async () => {
    const browser = new CookieBrowser();
    const wrong = await signIn(browser, { master_key: "not-the-master-key" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain("That is not the master key.");
    expect(await sessionStatus(browser)).toBe(401);

    const landed = await signIn(browser, { master_key: master });
    expect(landed.status).toBe(303);
    expect(landed.url).toBe(`${proxy.url}/admin/keys`);
    expect(browser.cookie(proxy.url, "abp-admin-session")?.raw).toMatch(new RegExp(`Max-Age=${ttlS}; Path=/; HttpOnly; SameSite=Lax`));
    const who = await browser.request(`${proxy.url}/admin/auth/session`);
    expect(await who.json()).toMatchObject({ actor: { via: "master-key" } });
    expect((await browser.request(`${proxy.url}/admin/api/keys`)).status).toBe(200);
  });

  test("a sign-in posted from another site is refused (login CSRF), and where it lands is always the portal", async () => {
    const browser = new CookieBrowser();
    const forged = await browser.request(`${proxy.url}/admin/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" },
      body: new URLSearchParams({ master_key: master }),
    });
    expect(forged.status).toBe(403);
    expect(browser.cookie(proxy.url, "abp-admin-session")).toBeUndefined();

    const form = await browser.navigate(`${proxy.url}/admin/sign-in`);
    for (const next of ["https://evil.example/", "//evil.example/admin", "/admin/\\evil"]) {
      const landed = await browser.submitForm(form, { master_key: master, next }, () => true);
      expect(new URL(landed.url).href).toBe(`${proxy.url}/admin/`);
    }
  });

  test("a session ends ADMIN_SESSION_TTL_S after sign-in: the API is 401 again and the form is shown again", async () => {
    const browser = new CookieBrowser();
    await signIn(browser, { master_key: master });
    expect(await sessionStatus(browser)).toBe(200);
    const cookie = browser.cookieHeader(new URL(proxy.url));
    await Bun.sleep(ttlS * 1_000 + 500);
    // Replayed past its expiry (as a browser ignoring Max-Age would): the server ends it on its own.
    const expired = await fetch(`${proxy.url}/admin/api/keys`, { headers: { cookie } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const again = await fetch(`${proxy.url}/admin/sign-in`, { headers: { cookie }, redirect: "manual" });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('name="master_key"');
  }, 15_000);

  test("the admin API keeps taking the master key header, and nothing else", async () => {
    expect((await fetch(`${proxy.url}/admin/api/keys`, { headers: { "x-api-key": master } })).status).toBe(200);
    expect((await fetch(`${proxy.url}/admin/api/keys`, { headers: { "x-api-key": "wrong-key-wrong-key" } })).status).toBe(401);
    expect((await fetch(`${proxy.url}/admin/api/keys`)).status).toBe(401);
  });
});
