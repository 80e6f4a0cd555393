import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import { exchange, headerLines, statuses } from "../support/raw-http.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * What an operator expects without configuring each key: default limits and tier for keys that have
 * none of their own, open mode letting only a missing key through, and CORS for browser clients.
 * Each stack holds its own SQLite file; the test issues keys there, as a second replica would.
 */

const masterKey = "master-key-for-defaults-tests";
const hello = { model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user", content: "hello" }] };
const qwen = { ...hello, model: "qwen.qwen3-coder-480b-a35b-v1:0" };

interface StackWithKeys {
  stack: Stack;
  store: Store;
  keys: KeyService;
}

async function stackWithKeys(env: Record<string, string>): Promise<StackWithKeys> {
  const path = join(mkdtempSync(join(tmpdir(), "abp-defaults-")), "proxy.db");
  const stack = await startStack({ SQLITE_PATH: path, MASTER_API_KEY: masterKey, KEY_CACHE_TTL_MS: "0", ...env });
  const store = await createStore({ kind: "sqlite", path });
  return { stack, store, keys: new KeyService(store) };
}

async function stop(running: StackWithKeys): Promise<void> {
  await running.store.close();
  await running.stack.stop();
}

const post = (stack: Stack, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

async function errorOf(response: Response): Promise<{ type: string; message: string }> {
  return ((await response.json()) as { error: { type: string; message: string } }).error;
}

describe("AUTH_MODE=open", () => {
  let open: StackWithKeys;
  beforeAll(async () => {
    open = await stackWithKeys({ AUTH_MODE: "open", DEFAULT_SERVICE_TIER: "flex" });
  });
  afterAll(() => stop(open));
  beforeEach(() => open.stack.reset());

  test("a request without a key passes as anonymous", async () => {
    expect((await post(open.stack, hello)).status).toBe(200);
  });

  test("an unknown key is 401 authentication_error, as x-api-key or Bearer", async () => {
    for (const headers of [{ "x-api-key": "sk-abp-unknown" }, { authorization: "Bearer sk-abp-unknown" }] as Record<string, string>[]) {
      const refused = await post(open.stack, hello, headers);
      expect(refused.status).toBe(401);
      expect(await errorOf(refused)).toEqual({ type: "authentication_error", message: "invalid x-api-key" });
    }
  });

  test("an issued key is checked as in keys mode", async () => {
    const { key, secret } = await open.keys.create({ name: "in open mode" }, { via: "cli" });
    expect((await post(open.stack, hello, { "x-api-key": secret })).status).toBe(200);
    await open.keys.update(key.id, { status: "disabled", status_reason: "paused" }, { via: "cli" });
    expect((await post(open.stack, hello, { "x-api-key": secret })).status).toBe(403);
  });

  test("anonymous requests are served on DEFAULT_SERVICE_TIER", async () => {
    expect((await post(open.stack, qwen)).status).toBe(200);
    expect((await open.stack.requests()).at(-1)?.body.serviceTier).toEqual({ type: "flex" });
  });

  test("CORS is off by default: a preflight gets no CORS headers", async () => {
    const preflight = await fetch(`${open.stack.proxyUrl}/v1/messages`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "x-api-key,content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect((await post(open.stack, hello, { origin: "https://app.example" })).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("DEFAULT_RPM, DEFAULT_TPM and DEFAULT_SERVICE_TIER", () => {
  let limited: StackWithKeys;
  beforeAll(async () => {
    limited = await stackWithKeys({ AUTH_MODE: "keys", DEFAULT_RPM: "2", DEFAULT_TPM: "50000", DEFAULT_SERVICE_TIER: "flex" });
  });
  afterAll(() => stop(limited));
  beforeEach(() => limited.stack.reset());

  test("a key without limits of its own gets the defaults: headers on every answer, 429 past them", async () => {
    const { secret } = await limited.keys.create({ name: "no limits of its own" }, { via: "cli" });
    const first = await post(limited.stack, hello, { "x-api-key": secret });
    expect(first.status).toBe(200);
    expect(first.headers.get("anthropic-ratelimit-requests-limit")).toBe("2");
    expect(first.headers.get("anthropic-ratelimit-tokens-limit")).toBe("50000");
    expect((await post(limited.stack, hello, { "x-api-key": secret })).status).toBe(200);
    const refused = await post(limited.stack, hello, { "x-api-key": secret });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("a key's own limit wins over the default; the other dimension keeps the default", async () => {
    const { secret } = await limited.keys.create({ name: "own rpm", rpm: 5 }, { via: "cli" });
    const answer = await post(limited.stack, hello, { "x-api-key": secret });
    expect(answer.headers.get("anthropic-ratelimit-requests-limit")).toBe("5");
    expect(answer.headers.get("anthropic-ratelimit-tokens-limit")).toBe("50000");
  });

  test("a key without a tier of its own is served on the default tier; its own tier wins", async () => {
    const tiers: unknown[] = [];
    for (const service_tier of [undefined, "default", "priority"] as const) {
      const { secret } = await limited.keys.create({ name: `tier ${service_tier}`, service_tier }, { via: "cli" });
      expect((await post(limited.stack, qwen, { "x-api-key": secret })).status).toBe(200);
      tiers.push((await limited.stack.requests()).at(-1)?.body.serviceTier);
    }
    expect(tiers).toEqual([{ type: "flex" }, undefined, { type: "priority" }]);
  });

  test("the master key stays unlimited", async () => {
    const answer = await post(limited.stack, hello, { "x-api-key": masterKey });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("anthropic-ratelimit-requests-limit")).toBeNull();
  });
});

/** What the Anthropic SDK sends in a browser (`dangerouslyAllowBrowser`), as a preflight announces it. */
const sdkHeaders = [
  "x-api-key",
  "authorization",
  "anthropic-version",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "content-type",
  "x-stainless-arch",
  "x-stainless-lang",
  "x-stainless-os",
  "x-stainless-package-version",
  "x-stainless-retry-count",
  "x-stainless-runtime",
  "x-stainless-runtime-version",
  "x-stainless-timeout",
];

const preflight = (stack: Stack, origin: string, path = "/v1/messages?beta=true") =>
  fetch(`${stack.proxyUrl}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": sdkHeaders.join(",") },
  });

describe("CORS_ORIGINS", () => {
  let browser: StackWithKeys;
  beforeAll(async () => {
    browser = await stackWithKeys({ AUTH_MODE: "keys", DEFAULT_RPM: "100", CORS_ORIGINS: "https://app.example, http://localhost:5173" });
  });
  afterAll(() => stop(browser));

  test("a preflight from a listed origin is answered before authentication, with the SDK's headers allowed", async () => {
    for (const path of ["/v1/messages?beta=true", "/v1/messages/count_tokens", "/v1/models"]) {
      const answer = await preflight(browser.stack, "http://localhost:5173", path);
      expect(answer.status).toBe(204);
      expect(answer.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      expect(answer.headers.get("access-control-allow-methods")?.split(",")).toContain("POST");
      expect(answer.headers.get("access-control-allow-headers")?.split(",")).toEqual(expect.arrayContaining(sdkHeaders));
    }
  });

  test("answers name the origin and expose request-id and the rate-limit headers, errors included", async () => {
    const { secret } = await browser.keys.create({ name: "browser app" }, { via: "cli" });
    const answer = await post(browser.stack, hello, { origin: "https://app.example", "x-api-key": secret });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const exposed = answer.headers.get("access-control-expose-headers")?.split(",") ?? [];
    expect(exposed).toEqual(expect.arrayContaining(["request-id", "retry-after", "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-tokens-reset"]));
    const refused = await post(browser.stack, hello, { origin: "https://app.example" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  test("an origin not listed gets no CORS headers", async () => {
    const answer = await preflight(browser.stack, "https://evil.example");
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a preflight still goes through the request-path checks (raw socket: fetch would normalise the path)", async () => {
    const headers = { origin: "https://app.example", "access-control-request-method": "POST" };
    const answer = await exchange(browser.stack.proxyUrl, `OPTIONS /v1/../admin/api/keys HTTP/1.1\r\nHost: localhost${headerLines(headers)}\r\nConnection: close\r\n\r\n`, 5_000);
    expect(statuses(answer.text)).toEqual([400]);
  });
});

describe("CORS_ORIGINS=*", () => {
  let anyOrigin: StackWithKeys;
  beforeAll(async () => {
    anyOrigin = await stackWithKeys({ AUTH_MODE: "keys", CORS_ORIGINS: "*" });
  });
  afterAll(() => stop(anyOrigin));

  test("any origin is allowed", async () => {
    const answer = await preflight(anyOrigin.stack, "https://anywhere.example");
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });
});
