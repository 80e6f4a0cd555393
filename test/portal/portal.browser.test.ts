import { afterAll, beforeAll, beforeEach, describe, expect } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { KeyService } from "../../src/gateway/keys/service.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecordInput } from "../../src/gateway/usage/usage-record.ts";
import { createStore } from "../../src/store/create-store.ts";
import { browserTest, launchChromium, within } from "../support/chromium.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The admin portal in a real Chromium against a real proxy and the Bedrock emulator: an operator
 * signs in with the master-key form, issues a key, uses it through the API, and watches, limits,
 * prices, disables, rotates and revokes it through the pages. PORTAL_SCREENSHOT=1 also writes the
 * overview's screenshot for the README (docs/portal-overview.png), once past usage is in.
 */

const masterKey = "master-key-for-portal-tests";
const hello = { model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };
const slow = 90_000;

let stack: Stack;
/** The test's own connection to the proxy's SQLite file, as a second replica would hold: to add past usage. */
let store: Store;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The key the tests issue, named to prove the pages escape it. */
const keyName = "<script>window.pwned=1</script>";
let keyId = "";
let secret = "";

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "abp-portal-")), "proxy.db");
  stack = await startStack({ AUTH_MODE: "keys", MASTER_API_KEY: masterKey, SQLITE_PATH: path });
  store = await createStore({ kind: "sqlite", path });
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  // Generous on a loaded machine (two cores shared by several test runs), and under a test's own limit (browserTest).
  context.setDefaultTimeout(20_000);
}, slow);
// A page of its own for every test (the session is the context's cookie): a renderer that stalled in the last
// test is not this one's, and closing it ends the calls it still held.
beforeEach(async () => {
  await within(10_000, page?.close() ?? Promise.resolve()).catch(() => undefined);
  page = await context.newPage();
  page.on("dialog", (dialog) => {
    throw new Error(`a page opened a dialog: ${dialog.message()}`);
  });
}, slow);
afterAll(async () => {
  await browser?.close();
  await store?.close();
  await stack?.stop();
});

const url = (path: string) => `${stack.proxyUrl}${path}`;
const client = (apiKey: string) => new Anthropic({ baseURL: stack.proxyUrl, apiKey, maxRetries: 0 });
const refusal = (apiKey: string) => client(apiKey).messages.create(hello).then(() => undefined, (error: unknown) => error);

/** Usage is written off the request path: reload the page until it shows what the test waits for. */
async function reloadUntil(path: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await page.goto(url(path));
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`${path} never showed what was expected`);
}

/**
 * The list with every immediate repeat of a run of entries dropped (a b a b c → a b c): a test run once more
 * after a stalled page (browserTest) repeats its changes, all of them or the first few.
 */
function withoutRepeats(list: readonly string[]): string[] {
  const out = [...list];
  for (let length = 1; length <= out.length / 2; length++) {
    for (let i = 0; i + 2 * length <= out.length; ) {
      const repeated = out.slice(i, i + length).every((entry, j) => entry === out[i + length + j]);
      if (repeated) out.splice(i + length, length);
      else i++;
    }
  }
  return out;
}

async function signIn(target: Page): Promise<void> {
  await target.goto(url("/admin"));
  expect(new URL(target.url()).pathname).toBe("/admin/sign-in");
  // By keyboard: the field is labelled and focused; Enter submits.
  await target.getByLabel("Master key").fill(masterKey);
  await target.keyboard.press("Enter");
  await target.waitForURL((u) => u.pathname === "/admin");
}

describe("the admin portal in Chromium", () => {
  browserTest("a page without a session redirects to sign-in; a wrong master key is refused; the right one signs in", async () => {
    await page.goto(url("/admin/"));
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    await page.goto(url("/admin/keys"));
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
    await page.getByLabel("Master key").fill("not-the-master-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not the master key");
    await signIn(page);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Overview");
  });

  browserTest("every asset comes from the proxy: nothing is fetched from another origin, nor any name looked up", async () => {
    const origins = new Set<string>();
    page.on("request", (request) => void origins.add(new URL(request.url()).origin));
    await page.goto(url("/admin"));
    await page.waitForSelector(".uplot");
    page.removeAllListeners("request");
    expect([...origins]).toEqual([new URL(stack.proxyUrl).origin]);
    // Nor does Chromium look up any name, not even localhost: its own calls to Google fail at once (test/support/chromium.ts).
    // In a page of its own: the error page a failed navigation opens would cut into the next test's.
    const probe = await context.newPage();
    try {
      await expect(probe.goto(url("/admin").replace("127.0.0.1", "localhost"))).rejects.toThrow("ERR_NAME_NOT_RESOLVED");
    } finally {
      await probe.close();
    }
  });

  browserTest("creating a key shows its secret once, with a copy button; its name holding <script> is shown as text", async () => {
    await page.goto(url("/admin/keys"));
    await page.getByLabel("Name").fill(keyName);
    await page.getByLabel("Owner").fill("portal-test");
    await page.getByRole("button", { name: "Create key" }).click();
    secret = (await page.locator("#secret").textContent()) ?? "";
    expect(secret).toStartWith("sk-");
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Copy" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(`Key created: ${keyName}`);
    await page.getByRole("link", { name: "Go to the key" }).click();
    keyId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    expect(keyId).toStartWith("key_");
    // Never again: not on the key's page, nor in the list.
    expect(await page.content()).not.toContain(secret);
    await page.goto(url("/admin/keys"));
    expect(await page.content()).not.toContain(secret);
    await expect(page.getByRole("link", { name: keyName }).count()).resolves.toBe(1);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  });

  browserTest("a key's settings refused by validation show the error beside the field", async () => {
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByLabel("Requests per minute").fill("-3");
    await page.getByRole("button", { name: "Save settings" }).click();
    const field = page.locator(".field.invalid");
    await expect(field.locator("label").textContent()).resolves.toBe("Requests per minute");
    await expect(field.getByRole("alert").textContent()).resolves.toContain("expected number to be >0");
  });

  browserTest("a request made with the key shows on the usage page and in the overview's figures and chart", async () => {
    const answer = await client(secret).messages.create(hello);
    await reloadUntil("/admin/usage", async () => (await page.locator(`tr[data-request-id]`).count()) === 1);
    await expect(page.locator("tbody tr td").nth(1).textContent()).resolves.toBe(keyName);
    await expect(page.locator("tbody tr td").nth(3).textContent()).resolves.toBe(String(answer.usage.input_tokens));
    await page.goto(url("/admin"));
    await expect(page.locator("[data-stat=requests]").textContent()).resolves.toBe("1");
    const chart = JSON.parse((await page.locator("figure", { hasText: "Requests by key" }).locator("[data-chart]").getAttribute("data-chart")) ?? "{}") as { series: { label: string; values: number[] }[] };
    expect(chart.series.map((s) => [s.label, s.values.reduce((a, b) => a + b, 0)])).toEqual([[keyName, 1]]);
    // uPlot drew it: a canvas with its legend naming the key.
    await expect(page.locator("figure", { hasText: "Requests by key" }).locator("canvas").count()).resolves.toBe(1);
    await expect(page.locator("figure", { hasText: "Requests by key" }).locator(".u-legend").textContent()).resolves.toContain(keyName);
  });

  browserTest("a limit set on the key's page is enforced on the next requests; cleared, it is gone", async () => {
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByLabel("Requests per minute").fill("1");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByLabel("Requests per minute").inputValue()).resolves.toBe("1");
    const outcomes = [await refusal(secret), await refusal(secret)];
    expect(outcomes.some((error) => error instanceof Anthropic.RateLimitError)).toBe(true);
    await page.getByLabel("Requests per minute").fill("");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await refusal(secret)).toBeUndefined();
  });

  browserTest("a price edited on the pricing page costs the next request at the new price", async () => {
    const before = await client(secret).messages.create(hello);
    const records = async () => ((await (await fetch(url(`/admin/api/usage/requests?key_id=${keyId}`), { headers: { "x-api-key": masterKey } })).json()) as { data: { request_id: string; resolved_model: string; cost_usd: number; input_tokens: number }[] }).data;
    let latest = (await records())[0];
    for (let i = 0; i < 50 && latest?.request_id !== before._request_id; i++) {
      await Bun.sleep(50);
      latest = (await records())[0];
    }
    if (latest === undefined) throw new Error("no usage record");
    await page.goto(url(`/admin/pricing?model_id=${encodeURIComponent(latest.resolved_model)}`));
    await page.getByLabel("Input", { exact: true }).fill("1000");
    await page.getByLabel("Output", { exact: true }).fill("0");
    await page.getByLabel("Cache read", { exact: true }).fill("0");
    await page.getByLabel("Cache write", { exact: true }).fill("0");
    await page.getByRole("button", { name: "Save price" }).click();
    await expect(page.locator("tr", { hasText: latest.resolved_model }).locator("td").nth(1).textContent()).resolves.toBe("1000");

    const after = await client(secret).messages.create(hello);
    const expected = (after.usage.input_tokens * 1000) / 1e6;
    expect(expected).not.toBe(latest.cost_usd);
    await reloadUntil(`/admin/usage?key_id=${keyId}`, async () => (await page.locator("td[data-cost]").first().getAttribute("data-cost")) === String(expected));
  });

  browserTest("a price the form refuses shows the error next to its field", async () => {
    await page.goto(url("/admin/pricing"));
    await page.getByLabel("Bedrock model id").fill("anthropic.claude-test-v1:0");
    await page.getByLabel("Input", { exact: true }).fill("-1");
    await page.getByRole("button", { name: "Save price" }).click();
    const invalid = page.locator(".field.invalid");
    await expect(invalid.locator("label").allTextContents()).resolves.toContain("Input");
    await expect(page.locator("#field-input_usd_per_mtok-error").textContent()).resolves.toContain(">=0");
  });

  browserTest("disable with a reason refuses the key; enable lets it in again", async () => {
    // A first attempt whose page stalled after Disable left the key disabled: its retry starts from an active key.
    const admin = { "x-api-key": masterKey, "content-type": "application/json" };
    const key = (await (await fetch(url(`/admin/api/keys/${keyId}`), { headers: admin })).json()) as { status: string };
    if (key.status !== "active") await fetch(url(`/admin/api/keys/${keyId}`), { method: "PATCH", headers: admin, body: JSON.stringify({ status: "active" }) });
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByLabel("Reason", { exact: true }).fill("paused for the test");
    await page.getByRole("button", { name: "Disable" }).click();
    await expect(page.locator("[data-key-status]").textContent()).resolves.toBe("disabled (paused for the test)");
    const refused = await refusal(secret);
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(String(refused)).toContain("paused for the test");
    await page.getByRole("button", { name: "Enable" }).click();
    await expect(page.locator("[data-key-status]").textContent()).resolves.toBe("active");
    expect(await refusal(secret)).toBeUndefined();
  });

  browserTest("rotate shows the new secret once: the old one stops working, the new one works", async () => {
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = (await page.locator("#secret").textContent()) ?? "";
    expect(rotated).toStartWith("sk-");
    expect(rotated).not.toBe(secret);
    expect(await refusal(secret)).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await refusal(rotated)).toBeUndefined();
    secret = rotated;
  });

  browserTest("the usage log exports as CSV, one row per request", async () => {
    // Every request so far has landed (usage is written off the request path) before the page is read.
    const landed = async () => ((await (await fetch(url(`/admin/api/usage/requests?key_id=${keyId}`), { headers: { "x-api-key": masterKey } })).json()) as { data: unknown[] }).data.length;
    await reloadUntil(`/admin/usage?key_id=${keyId}`, async () => (await page.locator("tr[data-request-id]").count()) === (await landed()) && (await landed()) >= 6);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    const lines = readFileSync((await download.path()) ?? "", "utf8").trimEnd().split("\r\n");
    expect(lines[0]).toStartWith("created_at,request_id,key_id,");
    const rows = await page.locator("tr[data-request-id]").count();
    expect(lines.length - 1).toBe(rows);
    expect(lines.slice(1).every((line) => line.includes(keyId))).toBe(true);
  });

  browserTest("the overview puts past usage in its hour, by model and by key, and lists a key near its budget", async () => {
    // Renamed through its settings form first (and so named in the README's screenshot).
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByLabel("Name").fill("web-app");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Key: web-app");
    const now = Date.now();
    const team = await new KeyService(store).create({ name: "data-team", monthly_budget_usd: 1 }, { via: "cli" });
    const past = (hoursAgo: number, i: number, overrides: Partial<UsageRecordInput> = {}): UsageRecordInput => ({
      request_id: `req_past_${hoursAgo}_${i}`,
      key_id: i % 2 === 0 ? keyId : team.key.id,
      created_at: new Date(now - hoursAgo * 3_600_000).toISOString(),
      requested_model: "claude-sonnet-4-6",
      resolved_model: i % 3 === 0 ? "anthropic.claude-haiku-4-5-20251001-v1:0" : "anthropic.claude-sonnet-4-6",
      input_tokens: 1_000 + 100 * i,
      output_tokens: 200 + 10 * hoursAgo,
      cache_read_input_tokens: 500,
      cache_creation_input_tokens: 0,
      service_tier: "default",
      time_to_first_token_ms: 300 + 20 * i,
      latency_ms: 900 + 50 * i,
      status: 200,
      error_type: null,
      cost_usd: 0.004,
      ...overrides,
    });
    const records = [3, 5, 8, 12, 17, 21].flatMap((hoursAgo) => Array.from({ length: hoursAgo % 7 + 2 }, (_, i) => past(hoursAgo, i)));
    records.push(past(5, 99, { status: 429, error_type: "rate_limit_error", output_tokens: 0, cost_usd: 0, time_to_first_token_ms: null }));
    records.push(past(1, 100, { key_id: team.key.id, cost_usd: 0.85 }));
    records.push(...Array.from({ length: 15 }, (_, i) => past(2, 200 + i)));
    await store.writeUsage(records);

    await page.goto(url("/admin"));
    const fiveHoursAgo = new Date(now - 5 * 3_600_000).toISOString().slice(0, 13).replace("T", " ");
    const row = page.locator("tr", { hasText: `${fiveHoursAgo}:00` }).locator("td");
    // 5 % 7 + 2 = 7 requests and the refused one; 1 error.
    await expect(row.nth(1).textContent()).resolves.toBe("8");
    await expect(row.nth(7).textContent()).resolves.toBe("1");
    const byModel = JSON.parse((await page.locator("figure", { hasText: "Requests by model" }).locator("[data-chart]").getAttribute("data-chart")) ?? "{}") as { series: { label: string }[] };
    expect(byModel.series.map((s) => s.label)).toContain("anthropic.claude-haiku-4-5-20251001-v1:0");
    await expect(page.getByRole("table", { name: "Keys near or over budget" }).textContent()).resolves.toContain("data-team");
    await expect(page.locator("canvas").count()).resolves.toBe(6);
    // The usage log comes 50 to a page, the next page holding the older rest.
    const ids = () => page.locator("tr[data-request-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-request-id")));
    await page.goto(url("/admin/usage"));
    const first = await ids();
    expect(first).toHaveLength(50);
    await page.getByRole("link", { name: "Next page" }).click();
    const second = await ids();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    await expect(page.getByRole("link", { name: "First page" }).count()).resolves.toBe(1);
    // The usage log filters by status and time through its form.
    await page.goto(url("/admin/usage"));
    await page.getByLabel("Status").selectOption("error");
    await page.getByLabel("From (UTC)").fill(new Date(now - 6 * 3_600_000).toISOString().slice(0, 16));
    await page.getByLabel("To (UTC)").fill(new Date(now - 4 * 3_600_000).toISOString().slice(0, 16));
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.locator("tr[data-request-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-request-id")))).resolves.toEqual(["req_past_5_99"]);
    // The keys list shows the month's spend against the budget, marked once over it.
    await page.goto(url("/admin/keys?q=data-team"));
    const cells = page.locator("tbody tr").locator("td");
    await expect(cells.nth(4).textContent()).resolves.toMatch(/^\$0\.9\d+$/);
    await expect(cells.nth(5).textContent()).resolves.toBe("$1.00");
    await page.goto(url("/admin"));
    if (process.env.PORTAL_SCREENSHOT === "1") await page.screenshot({ path: "docs/portal-overview.png", fullPage: false });
  });

  browserTest("revoke refuses the key for good", async () => {
    await page.goto(url(`/admin/keys/${keyId}`));
    await page.getByLabel("Revoke reason").fill("done testing");
    await page.getByRole("button", { name: "Revoke" }).click();
    await expect(page.locator("[data-key-status]").textContent()).resolves.toBe("revoked (done testing)");
    await expect(page.getByRole("button", { name: "Enable" }).count()).resolves.toBe(0);
    expect(await refusal(secret)).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  browserTest("the audit log shows every change made through the pages, by whom, newest first, and never a secret", async () => {
    await page.goto(url(`/admin/audit?target=${keyId}`));
    const actions = await page.locator("tbody tr td:nth-child(3)").allTextContents();
    expect(withoutRepeats(actions)).toEqual(["key.revoke", "key.update", "key.rotate", "key.enable", "key.disable", "key.update", "key.create"]);
    expect(new Set(await page.locator("tbody tr td:nth-child(2)").allTextContents())).toEqual(new Set(["master key"]));
    await expect(page.locator("tbody tr").first().locator("td.changes").textContent()).resolves.toContain('status: "active" → "revoked"');
    await expect(page.locator("tbody tr").last().locator("td.changes").textContent()).resolves.toContain(`name: ${JSON.stringify(keyName)}`);
    expect(await page.content()).not.toContain(secret);
    await page.goto(url("/admin/audit?action=price.set"));
    await expect(page.locator("tbody tr").first().locator("td.changes").textContent()).resolves.toMatch(/input_usd_per_mtok: [\d.]+ → 1000/);
  });

  browserTest("a cross-site form post, carrying the session cookie, is refused and changes nothing", async () => {
    const evil = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(`<form method="post" action="${url("/admin/keys")}"><input name="name" value="forged"></form><script>document.forms[0].submit()</script>`, { headers: { "content-type": "text/html" } }),
    });
    try {
      const answer = page.waitForResponse((response) => response.url() === url("/admin/keys") && response.request().method() === "POST");
      await page.goto(`http://127.0.0.1:${evil.port}/`);
      expect((await answer).status()).toBe(403);
      await page.goto(url("/admin/keys?q=forged"));
      await expect(page.locator("tr", { hasText: "forged" }).count()).resolves.toBe(0);
    } finally {
      await evil.stop(true);
    }
  });

  browserTest("sign out ends the session: the pages redirect to sign-in again", async () => {
    await page.goto(url("/admin"));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/admin/sign-in");
    await page.goto(url("/admin/usage"));
    expect(new URL(page.url()).pathname).toBe("/admin/sign-in");
  });

  browserTest("readable on a phone: no page is wider than a 390 px screen", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const small = await phone.newPage();
      await signIn(small);
      for (const path of ["/admin", "/admin/keys", "/admin/usage", "/admin/pricing", "/admin/aliases", "/admin/containers"]) {
        await small.goto(url(path));
        const wide = await small.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 390 && !e.closest(".table-wrap")).map((e) => `${e.tagName}.${e.className}: ${e.textContent?.slice(0, 40)}`).slice(0, 5));
        expect([path, await small.evaluate(() => document.documentElement.scrollWidth), wide]).toEqual([path, 390, []]);
      }
    } finally {
      await phone.close();
    }
  });
});

describe("an expired session", () => {
  browserTest("a session past ADMIN_SESSION_TTL_S is refused: the page goes back to sign-in", async () => {
    const short = await startStack({ AUTH_MODE: "keys", MASTER_API_KEY: masterKey, ADMIN_SESSION_TTL_S: "1" });
    const own = await browser.newContext();
    try {
      const tab = await own.newPage();
      await tab.goto(`${short.proxyUrl}/admin`);
      await tab.getByLabel("Master key").fill(masterKey);
      await tab.getByRole("button", { name: "Sign in" }).click();
      await tab.waitForURL((u) => u.pathname === "/admin");
      await Bun.sleep(1_500);
      await tab.goto(`${short.proxyUrl}/admin/keys`);
      expect(new URL(tab.url()).pathname).toBe("/admin/sign-in");
    } finally {
      await own.close();
      await short.stop();
    }
  });
});
