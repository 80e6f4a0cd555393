import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { estimateInputTokens } from "../../src/anthropic/estimate.ts";
import { type KeySettings, KeyService } from "../../src/gateway/keys/service.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The gateway end to end through the official SDK: issued keys, limits, usage, budgets and tiers.
 * The test holds its own connection to the proxy's SQLite file, as a second replica would: it
 * issues keys and reads usage there.
 */

const masterKey = "master-key-for-gateway-tests";
const clock = { now: new Date("2026-11-20T12:00:00Z") };
let stack: Stack;
let store: Store;
let keys: KeyService;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "abp-gateway-")), "proxy.db");
  stack = await startStack({ SQLITE_PATH: path, AUTH_MODE: "keys", MASTER_API_KEY: masterKey, KEY_CACHE_TTL_MS: "0" }, { now: () => clock.now });
  store = await createStore({ kind: "sqlite", path });
  keys = new KeyService(store);
});
afterAll(async () => {
  await store.close();
  await stack.stop();
});
beforeEach(() => stack.reset());

const issue = async (settings: Partial<KeySettings> = {}) => keys.create({ name: "test", ...settings }, { via: "cli" });
const clientFor = (secret: string, maxRetries = 0) => new Anthropic({ baseURL: stack.proxyUrl, apiKey: secret, maxRetries });
const hello = { model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user" as const, content: "hello" }] };

/** Usage is written off the request path: wait for the batch to land. */
async function usageOf(keyId: string, count: number): Promise<UsageRecord[]> {
  for (let i = 0; i < 100; i++) {
    const records = await store.latestUsage(keyId, 100);
    if (records.length >= count) return records;
    await Bun.sleep(20);
  }
  throw new Error(`expected ${count} usage records for ${keyId}`);
}

describe("authentication", () => {
  test("a missing or unknown key is 401 authentication_error", async () => {
    expect(await clientFor("sk-abp-unknown").messages.create(hello).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.AuthenticationError);
    const missing = await fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(hello) });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { type: string; message: string } }).error).toEqual({ type: "authentication_error", message: "x-api-key header is required" });
  });

  test("an issued key passes, by x-api-key or Authorization: Bearer", async () => {
    const { secret } = await issue();
    expect((await clientFor(secret).messages.create(hello)).type).toBe("message");
    const bearer = new Anthropic({ baseURL: stack.proxyUrl, apiKey: null, authToken: secret, maxRetries: 0 });
    expect((await bearer.messages.create(hello)).type).toBe("message");
  });

  test("disabled, revoked and expired keys are 403 with the reason", async () => {
    const disabled = await issue();
    await keys.update(disabled.key.id, { status: "disabled", status_reason: "left the team" }, { via: "cli" });
    const revoked = await issue();
    await keys.revoke(revoked.key.id, { via: "cli" }, "leaked in a log");
    const expired = await issue({ expires_at: "2026-11-01T00:00:00Z" });
    for (const [secret, reason] of [
      [disabled.secret, "disabled: left the team"],
      [revoked.secret, "revoked: leaked in a log"],
      [expired.secret, "expired at 2026-11-01"],
    ] as const) {
      const error = await clientFor(secret).messages.create(hello).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(String(error)).toContain(reason);
    }
  });

  test("a key disabled on another replica is refused here within a second", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "abp-cache-")), "proxy.db");
    const replica = await startStack({ SQLITE_PATH: path, AUTH_MODE: "keys", KEY_CACHE_TTL_MS: "1000" });
    const otherReplica = await createStore({ kind: "sqlite", path });
    try {
      const { key, secret } = await new KeyService(otherReplica).create({ name: "shared" }, { via: "cli" });
      const client = replica.client({ apiKey: secret });
      expect((await client.messages.create(hello)).type).toBe("message");
      await otherReplica.updateKey(key.id, { status: "disabled", status_reason: "disabled elsewhere" });
      const disabledAt = Date.now();
      let refusedAfterMs: number | undefined;
      while (refusedAfterMs === undefined && Date.now() - disabledAt < 3_000) {
        const error = await client.messages.create(hello).catch((e: unknown) => e);
        if (error instanceof Anthropic.PermissionDeniedError) refusedAfterMs = Date.now() - disabledAt;
        else await Bun.sleep(50);
      }
      expect(refusedAfterMs).toBeDefined();
      expect(refusedAfterMs ?? Infinity).toBeLessThanOrEqual(1_100);
    } finally {
      await otherReplica.close();
      await replica.stop();
    }
  });

  test("the master key passes everything", async () => {
    expect((await clientFor(masterKey).messages.create(hello)).type).toBe("message");
  });
});

describe("models a key may use", () => {
  test("allowed_models globs refuse other models with 403", async () => {
    const { secret } = await issue({ allowed_models: ["*anthropic.claude-haiku-*", "qwen.*"] });
    const error = await clientFor(secret).messages.create(hello).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(String(error)).toContain("may not use model claude-sonnet-4-6 (global.anthropic.claude-sonnet-4-6)");
    expect((await clientFor(secret).messages.create({ ...hello, model: "claude-haiku-4-5" })).type).toBe("message");
  });

  test("the globs decide on the model served, never on the name sent", async () => {
    const { key, secret } = await issue({ allowed_models: ["*anthropic.claude-sonnet*"] });
    // The name matches the glob, but resolves to Opus by its family prefix.
    const error = await clientFor(secret).messages.create({ ...hello, model: "claude-opus-4-6-anthropic.claude-sonnet" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const aliased = await issue({ allowed_models: ["*anthropic.claude-sonnet*"], model_map: { "anthropic.claude-sonnet-cheap": "global.anthropic.claude-opus-4-6-v1" } });
    expect(await clientFor(aliased.secret).messages.create({ ...hello, model: "anthropic.claude-sonnet-cheap" }).catch((e: unknown) => e)).toBeInstanceOf(
      Anthropic.PermissionDeniedError,
    );
    expect((await clientFor(secret).messages.create(hello)).type).toBe("message");
    expect((await stack.requests()).map((r) => r.modelId)).toEqual(["global.anthropic.claude-sonnet-4-6"]);
    expect((await usageOf(key.id, 1)).map((r) => r.resolved_model)).toEqual(["global.anthropic.claude-sonnet-4-6"]);
  });

  test("a pathological glob does not stall the proxy", async () => {
    const { secret } = await issue({ allowed_models: ["claude-*-*-*-*-*-v1"] });
    const started = performance.now();
    const error = await clientFor(secret).messages.create({ ...hello, model: `claude-${"-".repeat(240)}` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("a key's own aliases come first", async () => {
    const { secret } = await issue({ model_map: { "claude-sonnet-4-6": "qwen.qwen3-coder-480b-a35b-v1:0" } });
    await clientFor(secret).messages.create(hello);
    expect((await stack.requests()).at(-1)?.modelId).toBe("qwen.qwen3-coder-480b-a35b-v1:0");
  });
});

describe("names that are also object properties or path segments", () => {
  const send = (secret: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret, ...headers }, body: JSON.stringify(body) });
  const errorOf = async (response: Response) => ((await response.json()) as { type: string; error: { type: string; message: string } });

  test("a model named like a prototype property goes upstream as that name, and its usage is recorded", async () => {
    const names = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];
    const { key, secret } = await issue({ model_map: { own: "qwen.qwen3-coder-480b-a35b-v1:0" } });
    // Bedrock's answer to an id it does not know.
    await stack.script(...names.map((name) => ({ match: { model: name }, error: { type: "ValidationException" as const, message: "The provided model identifier is invalid." } })));
    for (const name of names) {
      const answer = await send(secret, { ...hello, model: name });
      expect(answer.status).toBe(400);
      expect(await errorOf(answer)).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "The provided model identifier is invalid." } });
    }
    expect((await stack.requests()).map((r) => r.modelId)).toEqual(names);
    const records = await usageOf(key.id, names.length);
    expect(records.map((r) => r.resolved_model).sort()).toEqual([...names].sort());
    expect(records.every((r) => r.status === 400 && r.requested_model === r.resolved_model)).toBe(true);
  });

  test("a model id that is a dot segment is refused with a 400 naming it, and never changes the upstream path", async () => {
    const { secret } = await issue();
    for (const name of [".", "..", "..[1m]"]) {
      const answer = await send(secret, { ...hello, model: name });
      expect(answer.status).toBe(400);
      const { error } = await errorOf(answer);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toContain(`model: ${name.replace("[1m]", "")} is not a Bedrock model id`);
    }
    expect(await stack.requests()).toEqual([]);
    const aliased = await keys.create({ name: "dots", model_map: { up: ".." } }, { via: "cli" }).catch((e: unknown) => e);
    expect(String(aliased)).toContain("model_map");
    // A slash is a character of the id (Bedrock's ARNs hold one), encoded: it cannot climb out of /model/{id}/.
    expect((await send(secret, { ...hello, model: "x/../../converse" })).status).toBe(200);
    expect((await stack.requests()).map((r) => r.modelId)).toEqual(["x/../../converse"]);
  });

  test("a model name past 256 characters is a 400 naming the field, before any glob sees it", async () => {
    const { secret } = await issue({ allowed_models: ["claude-*-*-*-*-*-v1"] });
    const answer = await send(secret, { ...hello, model: `claude-${"-".repeat(250)}` });
    expect(answer.status).toBe(400);
    expect((await errorOf(answer)).error.message).toStartWith("model: ");
  });

  test("beta names and tool input keys that are prototype properties are plain strings", async () => {
    const { secret } = await issue();
    const withBetas = await send(secret, hello, { "anthropic-beta": "constructor,__proto__,toString" });
    expect(withBetas.status).toBe(200);
    expect((await stack.requests()).at(-1)?.body.anthropic_beta).toBeUndefined();
    const toolTurn = {
      ...hello,
      model: "qwen.qwen3-coder-480b-a35b-v1:0",
      messages: [
        { role: "user", content: "look it up" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input: JSON.parse('{"__proto__": {"polluted": true}, "q": "x"}') }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "found" }] },
      ],
      tools: [{ name: "lookup", input_schema: { type: "object" } }],
    };
    expect((await send(secret, toolTurn)).status).toBe(200);
    const sent = (await stack.requests()).at(-1)?.body as { messages: { content: { toolUse?: { input: unknown } }[] }[] };
    const toolUse = sent.messages.flatMap((m) => m.content).find((block) => block.toolUse)?.toolUse;
    expect(JSON.stringify(toolUse?.input)).toBe('{"__proto__":{"polluted":true},"q":"x"}');
  });
});

describe("rate limits", () => {
  test("requests per minute: over the limit is 429 with retry-after; every answer carries the limit headers", async () => {
    const { secret } = await issue({ rpm: 2 });
    const raw = () => fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: JSON.stringify(hello) });
    const first = await raw();
    expect(first.status).toBe(200);
    expect(first.headers.get("anthropic-ratelimit-requests-limit")).toBe("2");
    expect(first.headers.get("anthropic-ratelimit-requests-remaining")).toBe("1");
    expect(Date.parse(first.headers.get("anthropic-ratelimit-requests-reset") ?? "")).toBeGreaterThan(0);
    expect((await raw()).status).toBe(200);
    const refused = await raw();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
    expect(await clientFor(secret).messages.create(hello).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.RateLimitError);
  });

  test("an answer that failed upstream carries the limit headers too, streamed or not", async () => {
    const { secret } = await issue({ rpm: 100, tpm: 1_000_000 });
    const send = (stream: boolean) =>
      fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: JSON.stringify({ ...hello, stream }) });
    for (const stream of [false, true]) {
      await stack.script({ error: { type: "ValidationException", message: "bad" } });
      const failed = await send(stream);
      expect(failed.status).toBe(400);
      expect(failed.headers.get("anthropic-ratelimit-requests-limit")).toBe("100");
      expect(failed.headers.get("anthropic-ratelimit-tokens-limit")).toBe("1000000");
      const ok = await send(stream);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("anthropic-ratelimit-tokens-remaining")).not.toBeNull();
      await ok.text();
    }
  });

  test("tokens per minute: input estimate + max_tokens is reserved while a request runs", async () => {
    const { secret } = await issue({ tpm: 1000 });
    await stack.script({ content: [{ text: "a slow answer that holds its reservation" }], chunkChars: 4, chunkDelayMs: 50 });
    const running = clientFor(secret).messages.stream({ ...hello, max_tokens: 600 }).finalMessage();
    await Bun.sleep(30);
    const error = await clientFor(secret).messages.create({ ...hello, max_tokens: 600 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(String(error)).toContain("tokens per minute");
    expect((await running).type).toBe("message");
  });

  test("the unused part of a reservation is given back when the request ends", async () => {
    const { secret } = await issue({ tpm: 1000 });
    for (let i = 0; i < 3; i++) expect((await clientFor(secret).messages.create({ ...hello, max_tokens: 600 })).type).toBe("message");
  });
});

describe("usage", () => {
  test("plain, streamed, failed and aborted requests each leave one record", async () => {
    const { key, secret } = await issue();
    const client = clientFor(secret);
    await client.messages.create(hello);
    await client.messages.stream(hello).finalMessage();
    await stack.script({ error: { type: "ValidationException", message: "bad" } });
    await client.messages.create(hello).catch(() => undefined);
    await stack.script({ content: [{ text: "a slow answer indeed" }], chunkChars: 2, chunkDelayMs: 200 });
    const aborter = new AbortController();
    const stream = client.messages.stream(hello, { signal: aborter.signal });
    stream.on("text", () => aborter.abort());
    await stream.finalMessage().catch(() => undefined);
    // The injected clock stands still, so records are told apart by outcome, not by order.
    const records = await usageOf(key.id, 4);
    expect(records.map((r) => `${r.status} ${r.error_type}`).sort()).toEqual(["200 null", "200 null", "400 invalid_request_error", "499 client_closed"]);
    const succeeded = records.filter((r) => r.status === 200);
    for (const record of succeeded) {
      expect(record).toMatchObject({ requested_model: "claude-sonnet-4-6", resolved_model: "global.anthropic.claude-sonnet-4-6", service_tier: "default" });
      expect(record.input_tokens).toBeGreaterThan(0);
      expect(record.cost_usd).toBeGreaterThan(0);
    }
    expect(succeeded.some((r) => r.time_to_first_token_ms !== null)).toBe(true);
    expect(records.find((r) => r.status === 400)?.output_tokens).toBe(0);
    expect(new Set(records.map((r) => r.request_id)).size).toBe(4);
  });

  test("cache tokens are counted and priced", async () => {
    const { key, secret } = await issue();
    await stack.script({ content: [{ text: "ok" }], usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 2000, cacheWriteInputTokens: 300 } });
    await clientFor(secret).messages.stream(hello).finalMessage();
    const [record] = await usageOf(key.id, 1);
    expect(record).toMatchObject({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 });
    const [rollup] = await store.queryRollups({ bucket: "day", key_id: key.id });
    expect(rollup).toMatchObject({ requests: 1, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 });
  });
});

describe("budgets", () => {
  test("the request that crosses the budget completes, the next is refused, and the next month the key works again", async () => {
    const { key, secret } = await issue({ monthly_budget_usd: 0.001 });
    await stack.script({ content: [{ text: "expensive" }], usage: { inputTokens: 100_000, outputTokens: 10_000 } });
    expect((await clientFor(secret).messages.create(hello)).type).toBe("message");
    const refused = await clientFor(secret).messages.create(hello).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(String(refused)).toContain("monthly budget of $0.001");
    expect(String(refused)).toContain("2026-12-01T00:00:00.000Z");
    clock.now = new Date("2026-12-01T00:00:01Z");
    try {
      expect((await clientFor(secret).messages.create(hello)).type).toBe("message");
      const months = await store.listMonthSpend(key.id);
      expect(months.map((m) => m.month)).toContain("2026-11");
      expect(months.find((m) => m.month === "2026-11")?.spend_usd).toBeGreaterThan(0.001);
    } finally {
      clock.now = new Date("2026-11-20T12:00:00Z");
    }
  });
});

describe("budgets under concurrency", () => {
  test("32 requests at once on a tiny budget overshoot it by at most one request's worst case", async () => {
    const budget = 0.0003;
    const { key, secret } = await issue({ monthly_budget_usd: budget });
    const request = { ...hello, max_tokens: 10 };
    // Each answer costs what its reservation allowed for: input within the estimate, output up to max_tokens.
    const inputTokens = estimateInputTokens(request);
    await stack.script(...Array.from({ length: 32 }, () => ({ content: [{ text: "ok" }], usage: { inputTokens, outputTokens: 10 }, firstByteDelayMs: 100 })));
    const price = await store.getPrice("global.anthropic.claude-sonnet-4-6");
    if (!price) throw new Error("the seed prices Sonnet 4.6");
    const worstCase = (inputTokens * Math.max(price.input_usd_per_mtok, price.cache_write_usd_per_mtok) + 10 * price.output_usd_per_mtok) / 1_000_000;
    const statuses = await Promise.all(
      Array.from({ length: 32 }, async () => {
        const answer = await fetch(`${stack.proxyUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": secret }, body: JSON.stringify(request) });
        await answer.text();
        return answer.status;
      }),
    );
    // Refused while others hold the budget (429, retry when they end), or once it is spent (403).
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429 || s === 403)).toBe(true);
    await usageOf(key.id, statuses.filter((s) => s === 200).length);
    const spent = (await store.listMonthSpend(key.id)).find((m) => m.month === "2026-11")?.spend_usd ?? 0;
    expect(spent).toBeLessThanOrEqual(budget + worstCase);
    expect(await clientFor(secret).messages.create(request).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });
});

describe("service tiers", () => {
  test("a tier Bedrock refuses for the model falls back to default once, and the record says so", async () => {
    const { key, secret } = await issue({ service_tier: "flex" });
    expect((await clientFor(secret).messages.create(hello)).type).toBe("message");
    const invokes = (await stack.requests()).filter((r) => r.operation === "invoke");
    expect(invokes.map((r) => r.headers["x-amzn-bedrock-service-tier"])).toEqual(["flex", undefined as unknown as string]);
    const [record] = await usageOf(key.id, 1);
    expect(record?.service_tier).toBe("default");
  });

  test("a tier the model offers is used and recorded", async () => {
    const { key, secret } = await issue({ service_tier: "flex" });
    await clientFor(secret).messages.create({ ...hello, model: "qwen.qwen3-coder-480b-a35b-v1:0" });
    const sent = (await stack.requests()).at(-1);
    expect(sent?.body.serviceTier).toEqual({ type: "flex" });
    const [record] = await usageOf(key.id, 1);
    expect(record?.service_tier).toBe("flex");
  });
});

describe("the admin API in the running proxy", () => {
  test("a key issued through it works at once, and its usage is reported", async () => {
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.proxyUrl}/admin/api${path}`, { ...init, headers: { "content-type": "application/json", "x-api-key": masterKey, ...init.headers } });
    const created = (await (await admin("/keys", { method: "POST", body: JSON.stringify({ name: "via admin", rpm: 100 }) })).json()) as { id: string; key: string };
    expect(created.key.startsWith("sk-abp-")).toBe(true);
    expect((await clientFor(created.key).messages.create(hello)).type).toBe("message");
    await usageOf(created.id, 1);
    const requests = (await (await admin(`/usage/requests?key_id=${created.id}&limit=10`)).json()) as { data: { status: number }[] };
    expect(requests.data.map((r) => r.status)).toEqual([200]);
    const listed = JSON.stringify(await (await admin("/keys")).json());
    expect(listed).not.toContain(created.key);
    expect((await fetch(`${stack.proxyUrl}/admin/api/keys`, { headers: { "x-api-key": created.key } })).status).toBe(401);
  });
});
