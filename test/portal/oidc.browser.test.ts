import { afterAll, beforeAll, expect } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { browserTest, launchChromium } from "../support/chromium.ts";
import { callbackPath, proxyOidcEnv, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import type { ServiceProcess } from "../support/service-process.ts";

/**
 * Signing in to the portal in a real Chromium through a real OpenID provider
 * (test/support/oidc-provider.ts): a member of the admin group lands on the portal as herself;
 * a signed-in user outside the group is refused.
 */

const clientId = "gateway-portal";
const clientSecret = "client-secret-of-the-portal";
const adminGroup = "gateway-admins";
const ada = { id: "ada", password: "ada-password", email: "ada@example.com", name: "Ada Lovelace", groups: [adminGroup] };
const bob = { id: "bob", password: "bob-password", email: "bob@example.com", name: "Bob", groups: ["staff"] };

let provider: TestOidcProvider;
let proxy: ServiceProcess & { url: string };
let browser: Browser;

beforeAll(async () => {
  [provider, browser] = await Promise.all([startOidcProvider({ users: [ada, bob] }), launchChromium()]);
  proxy = await startProxyProcess((url) => {
    provider.addClient({ clientId, clientSecret, redirectUris: [`${url}${callbackPath}`] });
    return { MASTER_API_KEY: "master-key-for-the-oidc-portal-tests", SQLITE_PATH: ":memory:", ...proxyOidcEnv(provider, { clientId, clientSecret }, url, adminGroup) };
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([proxy?.stop(), provider?.stop()]);
});

/** From the portal through the provider's login and consent forms, back to the proxy. */
async function signInAs(page: Page, user: { id: string; password: string }): Promise<void> {
  await page.goto(`${proxy.url}/admin/keys`);
  expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
  await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
  await page.waitForURL((url) => url.origin === provider.issuer);
  await page.getByLabel("User").fill(user.id);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL((url) => url.origin === proxy.url);
}

browserTest("a member of the admin group signs in through the provider and lands on the page she asked for, named in the header", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signInAs(page, ada);
    expect(new URL(page.url()).pathname).toBe("/admin/keys");
    await expect(page.locator("header").textContent()).resolves.toContain(ada.email);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Keys");
    // Her changes are hers in the audit log.
    await page.getByLabel("Name").fill("made-by-ada");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.goto(`${proxy.url}/admin/audit?action=key.create`);
    await expect(page.locator("tbody tr").first().textContent()).resolves.toContain(ada.email);
    await expect(page.locator("tbody tr").first().textContent()).resolves.toContain("made-by-ada");
  } finally {
    await context.close();
  }
});

browserTest("a user outside the admin group is refused, and no portal page opens for her browser", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signInAs(page, bob);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Access refused");
    await page.goto(`${proxy.url}/admin`);
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
  } finally {
    await context.close();
  }
});
