import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import type { Usage } from "../../src/anthropic/messages.ts";
import { createStore } from "../../src/store/create-store.ts";
import { testAwsCredentials, testAwsEnv } from "../support/aws-credentials.ts";
import { parseExposition, type Sample, series, valueOf } from "../support/prometheus.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { freePort, onFreePort } from "../support/service-process.ts";
import { emulatorControl, sdkClient } from "../support/stack.ts";

/**
 * GET /metrics of a real proxy process over the emulator: after a known set of requests (plain,
 * streamed, failed upstream, retried, rate-limited, over budget) every counter holds exactly what
 * those requests make it; the label cap; the token; METRICS_PORT.
 */

const model = "global.anthropic.claude-sonnet-4-6";
const hello = { model: "claude-sonnet-4-6", max_tokens: 20, messages: [{ role: "user" as const, content: "hello" }] };
const route = "/v1/messages";
let emulator: Emulator;
let dbPath = "";
const secrets = { plain: "", limited: "", budgeted: "" };
const ids = { plain: "", limited: "", budgeted: "" };

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, credentials: testAwsCredentials });
  dbPath = join(mkdtempSync(join(tmpdir(), "abp-metrics-")), "proxy.db");
  const store = await createStore({ kind: "sqlite", path: dbPath });
  const keys = new KeyService(store);
  for (const [name, settings] of [
    ["plain", {}],
    ["limited", { rpm: 1 }],
    ["budgeted", { monthly_budget_usd: 0.00001 }],
  ] as const) {
    const issued = await keys.create({ name, ...settings }, { via: "cli" });
    secrets[name] = issued.secret;
    ids[name] = issued.key.id;
  }
  await store.close();
}, 30_000);
afterAll(() => emulator.stop());

const proxyEnv = (extra: Record<string, string> = {}) => ({ ...testAwsEnv, BEDROCK_ENDPOINT: emulator.url, SQLITE_PATH: dbPath, AUTH_MODE: "keys", UPSTREAM_RETRY_BASE_MS: "5", USAGE_FLUSH_INTERVAL_MS: "20", KEY_CACHE_TTL_MS: "0", ...extra });

async function scrape(url: string, init?: RequestInit): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, init);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parseExposition(await response.text());
}

const post = (url: string, secret: string, body: unknown = hello) =>
  fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: JSON.stringify(body) });

const total = (usages: Usage[], field: keyof Usage) => usages.reduce((sum, usage) => sum + Number(usage[field] ?? 0), 0);

describe("the proxy's /metrics after a known set of requests", () => {
  let proxy: Awaited<ReturnType<typeof startProxyProcess>>;
  let samples: Sample[];
  const usages: Usage[] = [];
  const statuses: number[] = [];

  beforeAll(async () => {
    proxy = await startProxyProcess(proxyEnv());
    const control = emulatorControl(emulator.url);
    const plain = await post(proxy.url, secrets.plain);
    usages.push(((await plain.json()) as { usage: Usage }).usage);
    const streamed = await sdkClient(proxy.url, { apiKey: secrets.plain }).messages.stream(hello).finalMessage();
    usages.push(streamed.usage as Usage);
    await control.script({ error: { type: "ValidationException", message: "bad input" } });
    statuses.push((await post(proxy.url, secrets.plain)).status);
    await control.script({ error: { type: "ThrottlingException", message: "slow down" } }, { content: [{ text: "after a retry" }] });
    const retried = await post(proxy.url, secrets.plain);
    usages.push(((await retried.json()) as { usage: Usage }).usage);
    for (const secret of [secrets.limited, secrets.limited, secrets.budgeted, secrets.budgeted]) statuses.push((await post(proxy.url, secret)).status);
    await Bun.sleep(300);
    samples = await scrape(proxy.url);
  }, 60_000);
  afterAll(() => proxy.stop());

  test("the requests went as planned: failed upstream 400, rate-limited 429, over budget 403", () => {
    expect(statuses).toEqual([400, 200, 429, 200, 403]);
  });

  test("requests by route, status, model and key", () => {
    expect(series(samples, "abp_requests_total")).toEqual({
      // The readiness check of the test's process starter.
      "route=/health,status=200,model=none,key=none": 1,
      [`route=${route},status=200,model=${model},key=${ids.plain}`]: 3,
      [`route=${route},status=400,model=${model},key=${ids.plain}`]: 1,
      [`route=${route},status=200,model=${model},key=${ids.limited}`]: 1,
      [`route=${route},status=429,model=${model},key=${ids.limited}`]: 1,
      [`route=${route},status=200,model=${model},key=${ids.budgeted}`]: 1,
      // Refused by its budget at authentication: no principal, no model yet (abp_refusals_total names the key).
      [`route=${route},status=403,model=none,key=none`]: 1,
    });
  });

  test("refusals by reason and key", () => {
    expect(series(samples, "abp_refusals_total")).toEqual({ [`reason=rate_limit,key=${ids.limited}`]: 1, [`reason=budget,key=${ids.budgeted}`]: 1 });
  });

  test("upstream attempts, errors by Bedrock's exception name, retries", () => {
    expect(series(samples, "abp_upstream_errors_total")).toEqual({ "error=ValidationException": 1, "error=ThrottlingException": 1 });
    expect(series(samples, "abp_upstream_retries_total")).toEqual({ "error=ThrottlingException": 1 });
    expect(series(samples, "abp_upstream_duration_seconds_count")).toEqual({ "outcome=ok": 5, "outcome=ValidationException": 1, "outcome=ThrottlingException": 1 });
  });

  test("latency of every model request, first token of the streamed one", () => {
    expect(series(samples, "abp_request_duration_seconds_count")).toEqual({ [`model=${model}`]: 6 });
    expect(series(samples, "abp_time_to_first_token_seconds_count")).toEqual({ [`model=${model}`]: 1 });
    expect(valueOf(samples, "abp_request_duration_seconds_bucket", { model, le: "+Inf" })).toBe(6);
  });

  test("tokens by type are what the answers reported; cost is what the store recorded", async () => {
    expect(valueOf(samples, "abp_tokens_total", { key: ids.plain, type: "input" })).toBe(total(usages, "input_tokens"));
    expect(valueOf(samples, "abp_tokens_total", { key: ids.plain, type: "output" })).toBe(total(usages, "output_tokens"));
    expect(valueOf(samples, "abp_tokens_total", { key: ids.plain, type: "cache_read" })).toBe(0);
    const store = await createStore({ kind: "sqlite", path: dbPath });
    try {
      for (const name of ["plain", "limited", "budgeted"] as const) {
        const recorded = (await store.latestUsage(ids[name], 100)).reduce((sum, record) => sum + record.cost_usd, 0);
        expect(recorded).toBeGreaterThan(0);
        expect(valueOf(samples, "abp_cost_usd_total", { key: ids[name] })).toBeCloseTo(recorded, 12);
      }
    } finally {
      await store.close();
    }
  });

  test("no stream in flight, no usage queued, no store or Redis error; the last batch's lag", () => {
    expect(valueOf(samples, "abp_streams_in_flight")).toBe(0);
    expect(valueOf(samples, "abp_usage_queue_depth")).toBe(0);
    // Records wait for the batch writer's 20 ms flush interval: the lag is above 0, and far below a second here.
    expect(valueOf(samples, "abp_usage_write_lag_seconds")).toBeGreaterThan(0);
    expect(valueOf(samples, "abp_usage_write_lag_seconds")).toBeLessThan(5);
    expect(series(samples, "abp_store_errors_total")).toEqual({});
    expect(series(samples, "abp_redis_errors_total")).toEqual({});
  });

  test("the scrape itself is counted on its route", async () => {
    const again = await scrape(proxy.url);
    expect(valueOf(again, "abp_requests_total", { route: "/metrics", status: "200" })).toBe(1);
  });
});

describe("streams in flight", () => {
  test("a stream being sent counts while it runs, and no longer once it has ended", async () => {
    const proxy = await startProxyProcess(proxyEnv());
    try {
      await emulatorControl(emulator.url).script({ content: [{ text: "a slow answer, two letters at a time" }], chunkChars: 2, chunkDelayMs: 100 });
      const response = await post(proxy.url, secrets.plain, { ...hello, stream: true });
      const reader = response.body?.getReader();
      expect(new TextDecoder().decode((await reader?.read())?.value)).toContain("message_start");
      expect(valueOf(await scrape(proxy.url), "abp_streams_in_flight")).toBe(1);
      while (!(await reader?.read())?.done);
      expect(valueOf(await scrape(proxy.url), "abp_streams_in_flight")).toBe(0);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});

describe("Redis errors", () => {
  test("a Redis that does not answer is counted by connection", async () => {
    // Nothing listens on a freshly freed port: every connection attempt fails.
    const proxy = await startProxyProcess(proxyEnv({ REDIS_URL: `redis://127.0.0.1:${freePort()}`, REDIS_COMMAND_TIMEOUT_MS: "100" }));
    try {
      expect((await post(proxy.url, secrets.limited)).status).toBe(529);
      const samples = await scrape(proxy.url);
      expect(valueOf(samples, "abp_redis_errors_total", { connection: "rate limits" })).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});

describe("labels are capped by METRICS_MAX_LABEL_VALUES", () => {
  test("past the cap, a label's new values count as `other`", async () => {
    const proxy = await startProxyProcess(proxyEnv({ METRICS_MAX_LABEL_VALUES: "2" }));
    try {
      for (const requested of ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"]) expect((await post(proxy.url, secrets.plain, { ...hello, model: requested })).status).toBe(200);
      const samples = await scrape(proxy.url);
      // The model label's two values: `none` (the readiness check on /health came first) and Sonnet; then `other`.
      expect(series(samples, "abp_request_duration_seconds_count")).toEqual({ [`model=${model}`]: 1, "model=other": 2 });
      expect(valueOf(samples, "abp_requests_total", { route: "/health", model: "none" })).toBe(1);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});

describe("where /metrics is served", () => {
  test("with METRICS_TOKEN, only with the token", async () => {
    const token = "metrics-token-for-tests";
    const proxy = await startProxyProcess(proxyEnv({ METRICS_TOKEN: token }));
    try {
      const refused = await fetch(`${proxy.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
      expect((await fetch(`${proxy.url}/metrics`, { headers: { authorization: "Bearer wrong-token-of-some-length" } })).status).toBe(401);
      expect((await scrape(proxy.url, { headers: { authorization: `Bearer ${token}` } })).length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  }, 30_000);

  test("with METRICS_PORT, there and not on PORT", async () => {
    await onFreePort(async (port) => {
      const proxy = await startProxyProcess(proxyEnv({ METRICS_PORT: String(port) }));
      try {
        expect((await post(proxy.url, secrets.plain)).status).toBe(200);
        expect((await fetch(`${proxy.url}/metrics`)).status).toBe(404);
        const samples = await scrape(`http://127.0.0.1:${port}`);
        expect(valueOf(samples, "abp_requests_total", { route, status: "200" })).toBe(1);
        expect((await fetch(`http://127.0.0.1:${port}/v1/messages`)).status).toBe(404);
      } finally {
        await proxy.stop();
      }
    });
  }, 30_000);

  test("with METRICS=off, nowhere", async () => {
    const proxy = await startProxyProcess(proxyEnv({ METRICS: "off" }));
    try {
      expect((await fetch(`${proxy.url}/metrics`)).status).toBe(404);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});
