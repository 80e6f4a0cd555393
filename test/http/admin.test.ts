import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { hashKey } from "../../src/gateway/keys/secret.ts";
import { adminRoutes } from "../../src/http/admin.ts";
import { loadConfig } from "../../src/config.ts";
import { createAdminAuth } from "../../src/portal/auth/create-admin-auth.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { notFound, renderError } from "../../src/http/errors.ts";
import { requestId } from "../../src/http/middleware/request-id.ts";
import { createLogger } from "../../lib/log.ts";
import { createStore } from "../../src/store/create-store.ts";
import { maxAllowedModels, maxGlobLength } from "../../src/gateway/keys/api-key.ts";
import type { Store } from "../../src/gateway/store.ts";
import type { UsageRecordInput } from "../../src/gateway/usage/usage-record.ts";
import { usageRecord } from "../support/usage-record.ts";

const master = "master-key-for-the-admin-tests";
const quiet = createLogger("error", {}, () => {});

/** The admin sub-app mounted as the proxy mounts it, with the same request ids and error envelope. */
function adminApp(store: Store, masterKey: string | undefined) {
  const changed = { aliases: 0, prices: 0 };
  const admin = adminRoutes({
    store,
    keys: new KeyService(store),
    adminAuth: createAdminAuth(loadConfig({ MASTER_API_KEY: masterKey }), quiet),
    onAliasesChanged: () => changed.aliases++,
    onPricesChanged: () => changed.prices++,
  });
  const app = new Hono<AppEnv>()
    .use(requestId(quiet))
    .route("/admin/api", admin)
    .notFound(notFound)
    .onError(renderError);
  return { app, changed };
}

let store: Store;
let app: Hono<AppEnv>;
let changed: { aliases: number; prices: number };
beforeEach(async () => {
  store = await createStore({ kind: "sqlite", path: ":memory:" });
  ({ app, changed } = adminApp(store, master));
});
afterEach(async () => {
  await store.close();
});

interface Answer {
  status: number;
  text: string;
  body: Record<string, unknown> & { data?: Record<string, unknown>[] };
}

async function call(method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { "x-api-key": master, ...options.headers };
  const init: RequestInit = { method, headers };
  if (options.body !== undefined || options.rawBody !== undefined) {
    headers["content-type"] = "application/json";
    init.body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await app.request(`/admin/api${path}`, init);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer["body"] };
}

function expectError(answer: Answer, status: number, type: string, message?: RegExp | string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ type: "error", error: { type, message: expect.any(String) }, request_id: expect.stringMatching(/^req_/) });
  if (message !== undefined) expect((answer.body.error as { message: string }).message).toMatch(message);
}

async function createKey(body: Record<string, unknown> = { name: "team a" }): Promise<{ id: string; secret: string }> {
  const answer = await call("POST", "/keys", { body });
  expect(answer.status).toBe(201);
  return { id: String(answer.body.id), secret: String(answer.body.key) };
}

describe("authentication", () => {
  test("no key is 401, a wrong key is 401, the master key opens it as x-api-key or Bearer", async () => {
    expectError(await call("GET", "/keys", { headers: { "x-api-key": "" } }), 401, "authentication_error", /master key/);
    expectError(await call("GET", "/keys", { headers: { "x-api-key": "wrong-key" } }), 401, "authentication_error");
    expectError(await call("GET", "/keys", { headers: { "x-api-key": "", authorization: "Bearer wrong-key" } }), 401, "authentication_error");
    expect((await call("GET", "/keys")).status).toBe(200);
    expect((await call("GET", "/keys", { headers: { "x-api-key": "", authorization: `Bearer ${master}` } })).status).toBe(200);
  });

  test("an issued key is no admin credential", async () => {
    const { secret } = await createKey();
    expectError(await call("GET", "/keys", { headers: { "x-api-key": secret } }), 401, "authentication_error");
  });

  test("unknown admin paths are closed too, and 404 only behind the key", async () => {
    expectError(await call("GET", "/nothing-here", { headers: { "x-api-key": "wrong-key" } }), 401, "authentication_error");
    expectError(await call("GET", "/nothing-here"), 404, "not_found_error");
  });

  test("without MASTER_API_KEY the admin API is disabled for everyone", async () => {
    const closed = adminApp(store, undefined).app;
    const attempts: Record<string, string>[] = [{}, { "x-api-key": master }, { authorization: "Bearer anything" }];
    for (const headers of attempts) {
      const response = await closed.request("/admin/api/keys", { headers });
      const answer = { status: response.status, text: "", body: (await response.json()) as Answer["body"] };
      expectError(answer, 403, "permission_error", "the admin API is disabled: set MASTER_API_KEY");
    }
  });
});

describe("keys", () => {
  test("POST /keys returns the secret once, with every setting; the store keeps only its hash", async () => {
    const answer = await call("POST", "/keys", {
      body: {
        name: "team a",
        owner: "ann",
        rpm: 60,
        tpm: 100_000,
        monthly_budget_usd: 12.5,
        service_tier: "flex",
        allowed_models: ["claude-*"],
        model_map: { fast: "qwen.qwen3-coder-480b-a35b-v1:0" },
        expires_at: "2027-01-01T02:00:00+02:00",
      },
    });
    expect(answer.status).toBe(201);
    const secret = String(answer.body.key);
    expect(Object.keys(answer.body).slice(0, 2)).toEqual(["id", "key"]);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^sk-abp-/),
      key_prefix: secret.slice(0, 13),
      name: "team a",
      owner: "ann",
      status: "active",
      status_reason: null,
      expires_at: "2027-01-01T00:00:00.000Z",
      rpm: 60,
      tpm: 100_000,
      monthly_budget_usd: 12.5,
      service_tier: "flex",
      allowed_models: ["claude-*"],
      model_map: { fast: "qwen.qwen3-coder-480b-a35b-v1:0" },
      created_at: expect.any(String),
      last_used_at: null,
    });
    expect((await store.getKeyByHash(hashKey(secret)))?.id).toBe(String(answer.body.id));
  });

  test("a new key takes the defaults (no tier of its own: it follows DEFAULT_SERVICE_TIER)", async () => {
    const answer = await call("POST", "/keys", { body: { name: "minimal" } });
    expect(answer.body).toMatchObject({ owner: "", status: "active", rpm: null, tpm: null, monthly_budget_usd: null, service_tier: null, allowed_models: ["*"], model_map: {}, expires_at: null });
  });

  test("bad bodies are 400s naming the field", async () => {
    expectError(await call("POST", "/keys", { body: {} }), 400, "invalid_request_error", /^name: /);
    expectError(await call("POST", "/keys", { body: { name: "x", rpm: -1 } }), 400, "invalid_request_error", /^rpm: /);
    expectError(await call("POST", "/keys", { body: { name: "x", service_tier: "gold" } }), 400, "invalid_request_error", /^service_tier: /);
    expectError(await call("POST", "/keys", { body: { name: "x", expires_at: "next week" } }), 400, "invalid_request_error", /^expires_at: /);
    expectError(await call("POST", "/keys", { body: { name: "x", allowed_models: "claude-*" } }), 400, "invalid_request_error", /^allowed_models: /);
    // Matching is linear in the glob and the id; these bounds keep even the worst key cheap.
    const longGlob = "*".repeat(maxGlobLength + 1);
    expectError(await call("POST", "/keys", { body: { name: "x", allowed_models: [longGlob] } }), 400, "invalid_request_error", /^allowed_models\.0: /);
    const manyGlobs = Array.from({ length: maxAllowedModels + 1 }, (_, i) => `model-${i}`);
    expectError(await call("POST", "/keys", { body: { name: "x", allowed_models: manyGlobs } }), 400, "invalid_request_error", /^allowed_models: /);
    // Identity, secret and status are the service's to choose.
    expectError(await call("POST", "/keys", { body: { name: "x", key_hash: "0".repeat(64) } }), 400, "invalid_request_error", /key_hash/);
    expectError(await call("POST", "/keys", { body: { name: "x", status: "disabled" } }), 400, "invalid_request_error", /status/);
    expectError(await call("POST", "/keys", { rawBody: "{not json" }), 400, "invalid_request_error");
    expect(await store.listKeys()).toEqual([]);
  });

  test("listings and reads never show a secret or a hash", async () => {
    const first = await createKey({ name: "a", owner: "ann" });
    const second = await createKey({ name: "b", owner: "bob" });
    const hashes = [hashKey(first.secret), hashKey(second.secret)];
    const reads = [
      await call("GET", "/keys"),
      await call("GET", `/keys/${first.id}`),
      await call("GET", `/keys/${second.id}`),
      await call("GET", "/keys?owner=ann"),
      await call("GET", "/keys?status=active"),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.text).not.toContain("key_hash");
      for (const secret of [first.secret, second.secret, ...hashes]) expect(read.text).not.toContain(secret);
    }
    const [list, one, , byOwner] = reads;
    // Oldest first; two keys made in the same millisecond fall back to the order of their ids.
    expect(list?.body.data?.map((key) => key.id)).toEqual((await store.listKeys()).map((key) => key.id));
    expect(list?.body.data?.map((key) => key.id).sort()).toEqual([first.id, second.id].sort());
    expect(list?.body.data?.find((key) => key.id === first.id)).toMatchObject({ key_prefix: first.secret.slice(0, 13), name: "a" });
    expect(one?.body).toMatchObject({ id: first.id, name: "a", owner: "ann" });
    expect(byOwner?.body.data?.map((key) => key.id)).toEqual([first.id]);
    expectError(await call("GET", "/keys?status=gone"), 400, "invalid_request_error", /^status: /);
    expectError(await call("GET", "/keys/key_nope"), 404, "not_found_error", /key_nope/);
  });

  test("PATCH changes what it names; a status change carries its reason", async () => {
    const { id } = await createKey({ name: "a", rpm: 10 });
    const patched = await call("PATCH", `/keys/${id}`, { body: { name: "renamed", rpm: null, tpm: 500, allowed_models: ["qwen.*"], status: "disabled", status_reason: "pending review" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, name: "renamed", rpm: null, tpm: 500, allowed_models: ["qwen.*"], status: "disabled", status_reason: "pending review" });
    expect(patched.text).not.toContain("key_hash");
    expect(await store.getKey(id)).toMatchObject({ name: "renamed", status: "disabled", status_reason: "pending review" });
    expect((await call("PATCH", `/keys/${id}`, { body: { status: "active" } })).body).toMatchObject({ status: "active", status_reason: null });

    expectError(await call("PATCH", `/keys/${id}`, { body: { rpm: "fast" } }), 400, "invalid_request_error", /^rpm: /);
    expectError(await call("PATCH", `/keys/${id}`, { body: { status: "paused" } }), 400, "invalid_request_error", /^status: /);
    expectError(await call("PATCH", `/keys/${id}`, { body: { key_prefix: "sk-x" } }), 400, "invalid_request_error", /key_prefix/);
    expectError(await call("PATCH", "/keys/key_nope", { body: { name: "x" } }), 404, "not_found_error");
  });

  test("DELETE revokes and keeps the key; a revoked key cannot be re-activated", async () => {
    const { id, secret } = await createKey();
    const revoked = await call("DELETE", `/keys/${id}?reason=leaked`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: "revoked", status_reason: "leaked" });
    expect(revoked.text).not.toContain(secret);
    expect((await call("GET", `/keys/${id}`)).body).toMatchObject({ status: "revoked" });
    expect((await call("GET", "/keys")).body.data?.map((key) => key.id)).toEqual([id]);
    expect((await store.getKeyByHash(hashKey(secret)))?.status).toBe("revoked");

    for (const status of ["active", "disabled"]) {
      expectError(await call("PATCH", `/keys/${id}`, { body: { status } }), 400, "invalid_request_error", /revoked and cannot be re-activated/);
    }
    expect((await call("PATCH", `/keys/${id}`, { body: { name: "old key" } })).body).toMatchObject({ name: "old key", status: "revoked", status_reason: "leaked" });
    expect((await call("DELETE", `/keys/${id}`)).body).toMatchObject({ status: "revoked", status_reason: "revoked by an operator" });
    expectError(await call("DELETE", "/keys/key_nope"), 404, "not_found_error");
  });

  test("rotate gives a new secret to the same key; the old one no longer finds it", async () => {
    const { id, secret } = await createKey({ name: "a", rpm: 10, monthly_budget_usd: 5 });
    await store.writeUsage([keyUsage("r1", id)]);
    await store.addMonthSpend(id, "2026-11", 0.5);

    const rotated = await call("POST", `/keys/${id}/rotate`);
    expect(rotated.status).toBe(200);
    const newSecret = String(rotated.body.key);
    expect(Object.keys(rotated.body).slice(0, 2)).toEqual(["id", "key"]);
    expect(rotated.body).toMatchObject({ id, key: expect.stringMatching(/^sk-abp-/), key_prefix: newSecret.slice(0, 13), name: "a", rpm: 10, monthly_budget_usd: 5 });
    expect(rotated.body).not.toHaveProperty("key_hash");
    expect(newSecret).not.toBe(secret);
    expect(await store.getKeyByHash(hashKey(secret))).toBeUndefined();
    expect((await store.getKeyByHash(hashKey(newSecret)))?.id).toBe(id);
    // r1's own cost ($0.01) plus the $0.50 added apart from any record.
    expect((await call("GET", `/keys/${id}/spend`)).body.data).toEqual([{ month: "2026-11", spend_usd: 0.51 }]);
    expect((await call("GET", `/usage/requests?key_id=${id}`)).body.data?.map((record) => record.request_id)).toEqual(["r1"]);
    expect((await call("GET", `/keys/${id}`)).text).not.toContain(newSecret);
    expectError(await call("POST", "/keys/key_nope/rotate"), 404, "not_found_error");
  });

  test("spend lists every month, past ones included", async () => {
    const { id } = await createKey();
    await store.addMonthSpend(id, "2026-10", 1.5);
    await store.addMonthSpend(id, "2026-11", 0.25);
    await store.addMonthSpend("someone-else", "2026-11", 9);
    expect((await call("GET", `/keys/${id}/spend`)).body).toEqual({
      data: [
        { month: "2026-10", spend_usd: 1.5 },
        { month: "2026-11", spend_usd: 0.25 },
      ],
    });
    expectError(await call("GET", "/keys/key_nope/spend"), 404, "not_found_error");
  });
});

describe("usage", () => {
  beforeEach(async () => {
    await store.writeUsage([
      keyUsage("a1", "k1", { created_at: "2026-11-01T09:15:00Z" }),
      keyUsage("a2", "k1", { created_at: "2026-11-01T09:45:00Z", input_tokens: 10, cost_usd: 0.02 }),
      keyUsage("a3", "k1", { created_at: "2026-11-01T10:15:00Z", resolved_model: "model-b" }),
      keyUsage("a4", "k2", { created_at: "2026-11-02T08:00:00Z" }),
    ]);
  });

  test("roll-ups by day unless asked by hour, filtered by key, model and [from, to)", async () => {
    const daily = await call("GET", "/usage");
    expect(daily.status).toBe(200);
    expect(daily.body.data).toEqual([
      {
        bucket_start: "2026-11-01T00:00:00.000Z",
        key_id: "k1",
        model: "model-a",
        requests: 2,
        input_tokens: 110,
        output_tokens: 100,
        cache_read_input_tokens: 6,
        cache_creation_input_tokens: 8,
        cost_usd: 0.03,
        errors: 0,
      },
      expect.objectContaining({ bucket_start: "2026-11-01T00:00:00.000Z", key_id: "k1", model: "model-b", requests: 1 }),
      expect.objectContaining({ bucket_start: "2026-11-02T00:00:00.000Z", key_id: "k2", model: "model-a", requests: 1 }),
    ]);
    const hours = async (query: string) =>
      (await call("GET", `/usage?${query}`)).body.data?.map((row) => `${String(row.bucket_start).slice(8, 13)} ${row.key_id} ${row.model} ${row.requests}`);
    expect(await hours("bucket=hour")).toEqual(["01T09 k1 model-a 2", "01T10 k1 model-b 1", "02T08 k2 model-a 1"]);
    expect(await hours("bucket=hour&key_id=k1&model=model-a")).toEqual(["01T09 k1 model-a 2"]);
    expect(await hours("bucket=hour&from=2026-11-01T10:00:00Z&to=2026-11-02T08:00:00Z")).toEqual(["01T10 k1 model-b 1"]);
    expect(await hours("bucket=hour&key_id=k3")).toEqual([]);
  });

  test("bad queries are 400s naming the parameter", async () => {
    expectError(await call("GET", "/usage?bucket=week"), 400, "invalid_request_error", /^bucket: /);
    expectError(await call("GET", "/usage?from=yesterday"), 400, "invalid_request_error", /^from: /);
    expectError(await call("GET", "/usage/requests?cursor=nonsense"), 400, "invalid_request_error", /^cursor: /);
    expectError(await call("GET", "/usage/requests?key_id=k1&limit=0"), 400, "invalid_request_error", /^limit: /);
    expectError(await call("GET", "/usage/requests?status=teapot"), 400, "invalid_request_error", /^status: /);
    expectError(await call("GET", "/usage/series?group_by=colour"), 400, "invalid_request_error", /^group_by: /);
    expectError(await call("GET", "/audit?action=key.explode"), 400, "invalid_request_error", /^action: /);
  });

  test("the request log across keys, filtered and paged by cursor", async () => {
    await store.writeUsage([keyUsage("a5", "k2", { created_at: "2026-11-02T09:00:00Z", status: 529, error_type: "overloaded_error" })]);
    const ids = async (query: string) => (await call("GET", `/usage/requests?${query}`)).body.data?.map((record) => record.request_id);
    expect(await ids("")).toEqual(["a5", "a4", "a3", "a2", "a1"]);
    expect(await ids("status=error")).toEqual(["a5"]);
    expect(await ids("model=model-b")).toEqual(["a3"]);
    expect(await ids("from=2026-11-01T10:00:00Z&to=2026-11-02T09:00:00Z")).toEqual(["a4", "a3"]);
    const first = await call("GET", "/usage/requests?limit=3");
    expect(first.body.next_cursor).toEqual(expect.any(String));
    expect(await ids(`limit=3&cursor=${encodeURIComponent(String(first.body.next_cursor))}`)).toEqual(["a2", "a1"]);
  });

  test("the request log as CSV: a header row, then every matching record, streamed", async () => {
    await store.writeUsage([keyUsage("a,\"6", "k3", { created_at: "2026-11-03T00:00:00Z", requested_model: "=cmd()" })]);
    const response = await app.request("/admin/api/usage/requests.csv?key_id=k3", { headers: { "x-api-key": master } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/csv");
    const lines = (await response.text()).split("\r\n");
    expect(lines[0]).toStartWith("created_at,request_id,key_id,requested_model,resolved_model,status,");
    expect(lines[1]).toStartWith('2026-11-03T00:00:00.000Z,"a,""6",k3,\'=cmd(),model-a,200,');
    expect(lines.slice(2)).toEqual([""]);
    const all = await app.request("/admin/api/usage/requests.csv", { headers: { "x-api-key": master } });
    expect((await all.text()).split("\r\n")).toHaveLength(1 + 5 + 1);
  });

  test("series, latency, top spenders, budgets and the overview", async () => {
    const range = "from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z";
    const series = await call("GET", `/usage/series?bucket=day&${range}&group_by=model`);
    expect(series.body.data?.map((point) => `${String(point.bucket_start).slice(8, 10)} ${point.group} ${point.requests}`)).toEqual([
      "01 model-a 2",
      "01 model-b 1",
      "02 model-a 1",
    ]);
    const latency = await call("GET", `/usage/latency?${range}`);
    expect(latency.body).toMatchObject({ sampled: 4, complete: true, latency_ms: { p50: expect.any(Number), p99: expect.any(Number) } });
    await store.addMonthSpend("k1", "2026-11", 5);
    expect((await call("GET", "/usage/top-keys?month=2026-11&limit=1")).body).toEqual({ month: "2026-11", data: [{ key_id: "k1", spend_usd: 5.04 }] });
    const { id } = await createKey({ name: "capped", monthly_budget_usd: 1 });
    await store.addMonthSpend(id, "2026-11", 0.9);
    expect((await call("GET", "/usage/budgets?month=2026-11")).body.data).toEqual([{ key_id: id, name: "capped", monthly_budget_usd: 1, spend_usd: 0.9, used: 0.9 }]);
    const overview = await call("GET", `/usage/overview?bucket=day&${range}`);
    expect(overview.status).toBe(200);
    expect(Object.keys(overview.body)).toEqual(["bucket", "from", "to", "series", "latency", "top_keys", "budgets"]);
  });
  test("the latest records of a key, newest first, limited", async () => {
    const latest = await call("GET", "/usage/requests?key_id=k1&limit=2");
    expect(latest.body.data?.map((record) => record.request_id)).toEqual(["a3", "a2"]);
    expect(latest.body.data?.[0]).toMatchObject({ key_id: "k1", resolved_model: "model-b", input_tokens: 100, status: 200, cost_usd: 0.01 });
    expect((await call("GET", "/usage/requests?key_id=k1")).body.data).toHaveLength(3);
    expect((await call("GET", "/usage/requests?key_id=k9")).body.data).toEqual([]);
  });
});

describe("audit log", () => {
  test("every change through the API is logged with the master key as actor, newest first, filtered and paged", async () => {
    const { id } = await createKey({ name: "audited" });
    await call("PATCH", `/keys/${id}`, { body: { status: "disabled", status_reason: "paused" } });
    await call("POST", `/keys/${id}/rotate`);
    await call("PUT", "/model-aliases/fast", { body: { model_id: "amazon.nova-micro-v1:0" } });
    await call("DELETE", "/model-aliases/fast");
    const price = { input_usd_per_mtok: 1, output_usd_per_mtok: 2, cache_read_usd_per_mtok: 0.1, cache_write_usd_per_mtok: 1.25, tier_multipliers: { default: 1, flex: 0.5, priority: 1.75, reserved: 1 } };
    await call("PUT", "/pricing/amazon.nova-micro-v1:0", { body: price });
    expect((await call("DELETE", "/pricing/amazon.nova-micro-v1:0")).body).toEqual({ model_id: "amazon.nova-micro-v1:0", deleted: true });
    expectError(await call("DELETE", "/pricing/amazon.nova-micro-v1:0"), 404, "not_found_error");
    const log = await call("GET", "/audit");
    expect(log.body.data?.map((entry) => entry.action)).toEqual(["price.delete", "price.set", "alias.delete", "alias.set", "key.rotate", "key.disable", "key.create"]);
    expect(log.body.data?.every((entry) => JSON.stringify(entry.actor) === '{"via":"master-key"}')).toBe(true);
    expect((await call("GET", `/audit?target=${id}&action=key.disable`)).body.data).toEqual([
      expect.objectContaining({ target: id, before: expect.objectContaining({ status: "active" }), after: expect.objectContaining({ status: "disabled", status_reason: "paused" }) }),
    ]);
    const page = await call("GET", `/audit?target=${id}&limit=2`);
    expect(page.body.data?.map((entry) => entry.action)).toEqual(["key.rotate", "key.disable"]);
    const rest = await call("GET", `/audit?target=${id}&limit=2&cursor=${encodeURIComponent(String(page.body.next_cursor))}`);
    expect(rest.body.data?.map((entry) => entry.action)).toEqual(["key.create"]);
  });
});


describe("pricing", () => {
  const prices = { input_usd_per_mtok: 0.45, output_usd_per_mtok: 1.8, cache_read_usd_per_mtok: 0, cache_write_usd_per_mtok: 0, tier_multipliers: { default: 1, flex: 0.5, priority: 1.75, reserved: 1 } };

  test("PUT writes an operator row under a model id with ':' and '.', and tells the proxy", async () => {
    const put = await call("PUT", "/pricing/qwen.qwen3-coder-480b-a35b-v1:0", { body: prices });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ model_id: "qwen.qwen3-coder-480b-a35b-v1:0", ...prices, source: "operator", updated_at: expect.any(String) });
    expect(changed.prices).toBe(1);
    expect((await call("GET", "/pricing")).body.data).toEqual([put.body]);
    const stored = await store.getPrice("qwen.qwen3-coder-480b-a35b-v1:0");
    expect(stored).toBeDefined();
    expect(put.body).toEqual({ ...stored });
  });

  test("an encoded id (an ARN with '/') is decoded once", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-6";
    const put = await call("PUT", `/pricing/${encodeURIComponent(arn)}`, { body: prices });
    expect(put.body.model_id).toBe(arn);
    expect((await call("PUT", `/pricing/${arn}`, { body: { ...prices, input_usd_per_mtok: 3 } })).body).toMatchObject({ model_id: arn, input_usd_per_mtok: 3 });
    expect((await store.listPrices()).map((row) => row.model_id)).toEqual([arn]);
  });

  test("bad prices are 400s naming the field, and change nothing", async () => {
    expectError(await call("PUT", "/pricing/model-a", { body: { ...prices, input_usd_per_mtok: -1 } }), 400, "invalid_request_error", /^input_usd_per_mtok: /);
    expectError(await call("PUT", "/pricing/model-a", { body: { ...prices, tier_multipliers: { default: 1 } } }), 400, "invalid_request_error", /^tier_multipliers\.flex: /);
    expectError(await call("PUT", `/pricing/${"m".repeat(600)}`, { body: prices }), 400, "invalid_request_error", /^model_id: /);
    expect(changed.prices).toBe(0);
    expect((await call("GET", "/pricing")).body.data).toEqual([]);
  });
});

describe("model aliases", () => {
  test("put, list, overwrite and delete, telling the proxy after each write", async () => {
    const put = await call("PUT", "/model-aliases/fast", { body: { model_id: "qwen.qwen3-coder-480b-a35b-v1:0" } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ alias: "fast", model_id: "qwen.qwen3-coder-480b-a35b-v1:0", updated_at: expect.any(String) });
    await call("PUT", "/model-aliases/claude-sonnet-4.5", { body: { model_id: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0" } });
    await call("PUT", "/model-aliases/fast", { body: { model_id: "amazon.nova-micro-v1:0" } });
    expect(changed.aliases).toBe(3);
    expect((await call("GET", "/model-aliases")).body).toEqual({
      data: [
        { alias: "claude-sonnet-4.5", model_id: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0" },
        { alias: "fast", model_id: "amazon.nova-micro-v1:0" },
      ],
    });
    expect((await call("DELETE", "/model-aliases/fast")).status).toBe(200);
    expect(changed.aliases).toBe(4);
    expect((await call("GET", "/model-aliases")).body.data?.map((row) => row.alias)).toEqual(["claude-sonnet-4.5"]);
    expectError(await call("DELETE", "/model-aliases/fast"), 404, "not_found_error", /fast/);
    expect(changed.aliases).toBe(4);
  });

  test("a bad alias body is a 400 naming the field", async () => {
    expectError(await call("PUT", "/model-aliases/fast", { body: {} }), 400, "invalid_request_error", /^model_id: /);
    expectError(await call("PUT", "/model-aliases/fast", { body: { model_id: "" } }), 400, "invalid_request_error", /^model_id: /);
    expect(changed.aliases).toBe(0);
  });
});

/** The shared default record, of `keyId`, with cache tokens so the roll-ups' cache sums show. */
function keyUsage(requestId: string, keyId: string, overrides: Partial<UsageRecordInput> = {}): UsageRecordInput {
  return usageRecord(requestId, { key_id: keyId, cache_read_input_tokens: 3, cache_creation_input_tokens: 4, ...overrides });
}
