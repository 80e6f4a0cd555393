import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type KeyPatch, type NewApiKey, StoreConflictError } from "../../src/gateway/keys/api-key.ts";
import type { ModelPriceInput } from "../../src/gateway/pricing/model-price.ts";
import type { RollupQuery, UsageRollup } from "../../src/gateway/usage/usage-record.ts";
import type { Store } from "../../src/gateway/store.ts";
import { usageRecord } from "../support/usage-record.ts";
import { operatorQueriesContract } from "./operator-queries.ts";

/**
 * The one suite both stores answer to. `openStore` gives a fresh, empty store for every test.
 */
export function storeContract(openStore: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await openStore();
  });
  afterEach(async () => {
    await store.close();
  });

  test("answers the readiness check", async () => {
    await store.ready();
  });

  describe("keys", () => {
    test("a new key takes every default and reads back by id", async () => {
      const created = await store.createKey(newKey("k1"));
      expect(created).toEqual({
        id: "k1",
        key_hash: sha256("secret-k1"),
        key_prefix: "sk-k1",
        name: "key k1",
        owner: "",
        status: "active",
        status_reason: null,
        expires_at: null,
        rpm: null,
        tpm: null,
        monthly_budget_usd: null,
        service_tier: null,
        allowed_models: ["*"],
        model_map: {},
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        last_used_at: null,
      });
      expect(await store.getKey("k1")).toEqual(created);
      expect(await store.getKey("nope")).toBeUndefined();
    });

    test("every field round-trips, times normalised to UTC", async () => {
      const created = await store.createKey({
        ...newKey("k1"),
        owner: "team-a",
        status: "disabled",
        status_reason: "pending review",
        expires_at: "2027-01-01T02:00:00+02:00",
        rpm: 60,
        tpm: 100_000,
        monthly_budget_usd: 12.5,
        service_tier: "flex",
        allowed_models: ["claude-*", "qwen.*"],
        model_map: { fast: "qwen.qwen3-coder-480b-a35b-v1:0", "claude-sonnet-4-5": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0" },
        created_at: "2026-11-03T10:00:00Z",
      });
      expect(created.expires_at).toBe("2027-01-01T00:00:00.000Z");
      expect(created.created_at).toBe("2026-11-03T10:00:00.000Z");
      expect(await store.getKey("k1")).toEqual(created);
    });

    test("finds a key by the hash of its secret", async () => {
      await store.createKey(newKey("k1"));
      await store.createKey(newKey("k2"));
      expect((await store.getKeyByHash(sha256("secret-k2")))?.id).toBe("k2");
      expect(await store.getKeyByHash(sha256("unknown"))).toBeUndefined();
    });

    test("an id or a secret used twice is a conflict, and the refused key leaves nothing behind", async () => {
      await store.createKey(newKey("k1"));
      await expect(store.createKey({ ...newKey("k1"), key_hash: sha256("other") })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.getKeyByHash(sha256("other"))).toBeUndefined();
      await expect(store.createKey({ ...newKey("k2"), key_hash: sha256("secret-k1") })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.getKey("k2")).toBeUndefined();
      expect((await store.getKeyByHash(sha256("secret-k1")))?.id).toBe("k1");
    });

    test("rejects what its schema refuses", async () => {
      await expect(store.createKey({ ...newKey("k1"), key_hash: "not-a-hash" })).rejects.toThrow();
      await expect(store.createKey({ ...newKey("k1"), rpm: -1 })).rejects.toThrow();
      expect(await store.getKey("k1")).toBeUndefined();
    });

    test("lists oldest first, filtered by owner and status", async () => {
      await store.createKey({ ...newKey("b"), owner: "ann", created_at: "2026-11-02T00:00:00Z" });
      await store.createKey({ ...newKey("a"), owner: "bob", created_at: "2026-11-03T00:00:00Z" });
      await store.createKey({ ...newKey("c"), owner: "ann", status: "disabled", created_at: "2026-11-01T00:00:00Z" });
      expect((await store.listKeys()).map((key) => key.id)).toEqual(["c", "b", "a"]);
      expect((await store.listKeys({ owner: "ann" })).map((key) => key.id)).toEqual(["c", "b"]);
      expect((await store.listKeys({ status: "active" })).map((key) => key.id)).toEqual(["b", "a"]);
      expect((await store.listKeys({ owner: "ann", status: "active" })).map((key) => key.id)).toEqual(["b"]);
      expect(await store.listKeys({ owner: "nobody" })).toEqual([]);
    });

    test("a patch changes what it names, null clears, the rest stays", async () => {
      const created = await store.createKey({ ...newKey("k1"), rpm: 10, tpm: 1000, monthly_budget_usd: 5, expires_at: "2027-01-01T00:00:00Z" });
      const patch: KeyPatch = {
        name: "renamed",
        rpm: 20,
        tpm: null,
        expires_at: null,
        service_tier: "priority",
        allowed_models: ["claude-*"],
        model_map: { fast: "qwen.qwen3-coder-480b-a35b-v1:0" },
      };
      const patched = await store.updateKey("k1", patch);
      expect(patched).toEqual({ ...created, ...patch });
      expect(await store.getKey("k1")).toEqual(patched);
      expect(await store.updateKey("k1", {})).toEqual(patched);
      expect(await store.updateKey("k1", { name: undefined, rpm: undefined })).toEqual(patched);
      expect(await store.updateKey("nope", { name: "x" })).toBeUndefined();
    });

    test("a key's tier is cleared with null, so it follows the proxy's default again", async () => {
      await store.createKey({ ...newKey("k1"), service_tier: "flex" });
      expect((await store.updateKey("k1", { service_tier: null }))?.service_tier).toBeNull();
      expect((await store.getKey("k1"))?.service_tier).toBeNull();
    });

    test("a patch cannot reach the id, the hash or the times", async () => {
      await store.createKey(newKey("k1"));
      const sneaky = { name: "x", key_hash: sha256("other") };
      await expect(store.updateKey("k1", sneaky)).rejects.toThrow();
      expect((await store.getKey("k1"))?.name).toBe("key k1");
    });

    test("a new status clears the old reason unless it gives one", async () => {
      await store.createKey(newKey("k1"));
      expect(await store.updateKey("k1", { status: "disabled", status_reason: "over budget" })).toMatchObject({ status: "disabled", status_reason: "over budget" });
      expect(await store.updateKey("k1", { name: "renamed" })).toMatchObject({ status: "disabled", status_reason: "over budget" });
      expect(await store.updateKey("k1", { status: "active" })).toMatchObject({ status: "active", status_reason: null });
      expect(await store.updateKey("k1", { status_reason: "note" })).toMatchObject({ status: "active", status_reason: "note" });
    });

    test("a revoked key stays revoked; its other fields may still change", async () => {
      await store.createKey(newKey("k1"));
      await store.updateKey("k1", { status: "revoked", status_reason: "leaked" });
      await expect(store.updateKey("k1", { status: "active" })).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.updateKey("k1", { status: "disabled", name: "x" })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.getKey("k1")).toMatchObject({ status: "revoked", status_reason: "leaked", name: "key k1" });
      expect(await store.updateKey("k1", { name: "old key" })).toMatchObject({ status: "revoked", status_reason: "leaked", name: "old key" });
      expect(await store.updateKey("k1", { status: "revoked", status_reason: "leaked twice" })).toMatchObject({ status: "revoked", status_reason: "leaked twice" });
    });

    test("the last use only moves forward", async () => {
      await store.createKey(newKey("k1"));
      await store.touchKey("k1", "2026-11-03T10:00:00Z");
      expect((await store.getKey("k1"))?.last_used_at).toBe("2026-11-03T10:00:00.000Z");
      await store.touchKey("k1", "2026-11-03T09:00:00Z");
      expect((await store.getKey("k1"))?.last_used_at).toBe("2026-11-03T10:00:00.000Z");
      await store.touchKey("k1", "2026-11-03T11:00:00.500Z");
      expect((await store.getKey("k1"))?.last_used_at).toBe("2026-11-03T11:00:00.500Z");
      await store.touchKey("nope", "2026-11-03T11:00:00Z");
      expect(await store.getKey("nope")).toBeUndefined();
    });

    test("a delete removes the key and its hash, and frees the secret", async () => {
      await store.createKey(newKey("k1"));
      expect(await store.deleteKey("k1")).toBe(true);
      expect(await store.getKey("k1")).toBeUndefined();
      expect(await store.getKeyByHash(sha256("secret-k1"))).toBeUndefined();
      expect(await store.deleteKey("k1")).toBe(false);
      await store.createKey({ ...newKey("k2"), key_hash: sha256("secret-k1") });
      expect((await store.getKeyByHash(sha256("secret-k1")))?.id).toBe("k2");
    });

    test("a rotation moves the key to a new secret at once; id, settings, usage and spend stay", async () => {
      const created = await store.createKey({ ...newKey("k1"), owner: "ann", rpm: 10, tpm: 1000, monthly_budget_usd: 5, allowed_models: ["claude-*"] });
      await store.touchKey("k1", "2026-11-03T10:00:00Z");
      await store.writeUsage([usageRecord("r1")]);
      await store.addMonthSpend("k1", "2026-11", 0.25);

      const rotated = await store.rotateKeyHash("k1", sha256("rotated-k1"), "sk-rot");
      expect(rotated).toEqual({ ...created, key_hash: sha256("rotated-k1"), key_prefix: "sk-rot", last_used_at: "2026-11-03T10:00:00.000Z" });
      expect(await store.getKeyByHash(sha256("secret-k1"))).toBeUndefined();
      expect(await store.getKeyByHash(sha256("rotated-k1"))).toEqual(rotated);
      expect(await store.getKey("k1")).toEqual(rotated);
      expect((await store.latestUsage("k1", 10)).map((record) => record.request_id)).toEqual(["r1"]);
      // r1's $0.01, added with the record, and the $0.25 added apart.
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.26);
      expect((await store.listKeys()).map((key) => key.key_hash)).toEqual([sha256("rotated-k1")]);

      // The old secret is free again; rotating again retires the second one as well.
      await store.createKey({ ...newKey("k2"), key_hash: sha256("secret-k1") });
      expect((await store.getKeyByHash(sha256("secret-k1")))?.id).toBe("k2");
      expect(await store.rotateKeyHash("k1", sha256("again-k1"), "sk-again")).toMatchObject({ id: "k1", key_prefix: "sk-again" });
      expect(await store.getKeyByHash(sha256("rotated-k1"))).toBeUndefined();
      expect(await store.rotateKeyHash("nope", sha256("x"), "sk-x")).toBeUndefined();
      expect(await store.getKeyByHash(sha256("x"))).toBeUndefined();
    });

    test("a rotation onto a hash in use is a conflict and changes nothing", async () => {
      await store.createKey(newKey("k1"));
      const k2 = await store.createKey(newKey("k2"));
      await expect(store.rotateKeyHash("k1", sha256("secret-k2"), "sk-x")).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.rotateKeyHash("k1", sha256("secret-k1"), "sk-x")).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.rotateKeyHash("k1", "not-a-hash", "sk-x")).rejects.toThrow();
      expect(await store.getKeyByHash(sha256("secret-k2"))).toEqual(k2);
      expect(await store.getKeyByHash(sha256("secret-k1"))).toMatchObject({ id: "k1", key_prefix: "sk-k1" });
    });
  });

  describe("usage", () => {
    test("a record reads back as written, its time in UTC", async () => {
      const input = usageRecord("r1", { created_at: "2026-11-03T12:00:00+01:00", time_to_first_token_ms: null, error_type: "overloaded_error", status: 529 });
      expect(await store.writeUsage([input])).toEqual({ written: 1, duplicates: 0 });
      expect(await store.getUsage("r1")).toEqual({ ...input, created_at: "2026-11-03T11:00:00.000Z" });
      expect(await store.getUsage("nope")).toBeUndefined();
    });

    test("the same batch twice lands once: records and roll-ups counted once", async () => {
      const batch = [usageRecord("r1"), usageRecord("r2"), usageRecord("r3")];
      expect(await store.writeUsage([])).toEqual({ written: 0, duplicates: 0 });
      expect(await store.writeUsage(batch)).toEqual({ written: 3, duplicates: 0 });
      expect(await store.writeUsage(batch)).toEqual({ written: 0, duplicates: 3 });
      expect(await rollups("hour")).toEqual([rollup("hour", "2026-11-03T10:00:00.000Z", "k1", "model-a", 3)]);
      expect(await rollups("day")).toEqual([rollup("day", "2026-11-03T00:00:00.000Z", "k1", "model-a", 3)]);
    });

    test("an overlapping batch adds only its new records", async () => {
      await store.writeUsage([usageRecord("r1"), usageRecord("r2")]);
      expect(await store.writeUsage([usageRecord("r2"), usageRecord("r3"), usageRecord("r1"), usageRecord("r4")])).toEqual({ written: 2, duplicates: 2 });
      expect(await rollups("hour")).toEqual([rollup("hour", "2026-11-03T10:00:00.000Z", "k1", "model-a", 4)]);
      expect((await store.latestUsage("k1", 10)).map((record) => record.request_id).sort()).toEqual(["r1", "r2", "r3", "r4"]);
    });

    test("a request id twice in one batch counts once, as first given", async () => {
      expect(await store.writeUsage([usageRecord("r1", { input_tokens: 7 }), usageRecord("r1", { input_tokens: 9 })])).toEqual({ written: 1, duplicates: 1 });
      expect((await store.getUsage("r1"))?.input_tokens).toBe(7);
      expect(await rollups("day")).toEqual([{ ...rollup("day", "2026-11-03T00:00:00.000Z", "k1", "model-a", 1), input_tokens: 7 }]);
    });

    test("an invalid record fails the whole batch before anything lands", async () => {
      await expect(store.writeUsage([usageRecord("r1"), usageRecord("r2", { input_tokens: -1 })])).rejects.toThrow();
      expect(await store.getUsage("r1")).toBeUndefined();
      expect(await rollups("hour")).toEqual([]);
    });

    test("buckets are UTC hours and days", async () => {
      await store.writeUsage([
        usageRecord("late", { created_at: "2026-11-02T23:59:59.999Z" }),
        usageRecord("offset", { created_at: "2026-11-03T01:30:00+02:00" }),
        usageRecord("midnight", { created_at: "2026-11-03T00:00:00.000Z" }),
      ]);
      expect(await rollups("hour")).toEqual([
        rollup("hour", "2026-11-02T23:00:00.000Z", "k1", "model-a", 2),
        rollup("hour", "2026-11-03T00:00:00.000Z", "k1", "model-a", 1),
      ]);
      expect(await rollups("day")).toEqual([
        rollup("day", "2026-11-02T00:00:00.000Z", "k1", "model-a", 2),
        rollup("day", "2026-11-03T00:00:00.000Z", "k1", "model-a", 1),
      ]);
    });

    test("roll-ups sum every count and the cost, per key and resolved model", async () => {
      await store.writeUsage([
        usageRecord("r1", { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 3, cache_creation_input_tokens: 4, cost_usd: 0.1 }),
        usageRecord("r2", { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 30, cache_creation_input_tokens: 40, cost_usd: 0.2, status: 429, error_type: "rate_limit_error" }),
        usageRecord("r3", { resolved_model: "model-b", requested_model: "b" }),
        usageRecord("r4", { key_id: "k2" }),
      ]);
      const [a, b, c] = await rollups("hour");
      expect(a).toEqual({
        bucket: "hour",
        bucket_start: "2026-11-03T10:00:00.000Z",
        key_id: "k1",
        model: "model-a",
        requests: 2,
        input_tokens: 11,
        output_tokens: 22,
        cache_read_input_tokens: 33,
        cache_creation_input_tokens: 44,
        cost_usd: 0.3,
        errors: 1,
      });
      expect([b?.key_id, b?.model, c?.key_id, c?.model]).toEqual(["k1", "model-b", "k2", "model-a"]);
    });

    test("roll-ups filter by key, model and [from, to), in order of time, key, model", async () => {
      await store.writeUsage([
        usageRecord("a1", { key_id: "k1", resolved_model: "m1", created_at: "2026-11-01T09:15:00Z" }),
        usageRecord("a2", { key_id: "k1", resolved_model: "m2", created_at: "2026-11-01T10:15:00Z" }),
        usageRecord("a3", { key_id: "k2", resolved_model: "m1", created_at: "2026-11-01T10:45:00Z" }),
        usageRecord("a4", { key_id: "k1", resolved_model: "m1", created_at: "2026-11-03T11:00:00Z" }),
        usageRecord("a5", { key_id: "k2", resolved_model: "m2", created_at: "2026-12-05T08:00:00Z" }),
      ]);
      const hours = (query: Omit<RollupQuery, "bucket">) =>
        store.queryRollups({ bucket: "hour", ...query }).then((rows) => rows.map((row) => `${row.bucket_start.slice(5, 13)} ${row.key_id} ${row.model}`));
      const days = (query: Omit<RollupQuery, "bucket">) =>
        store.queryRollups({ bucket: "day", ...query }).then((rows) => rows.map((row) => `${row.bucket_start.slice(5, 10)} ${row.key_id} ${row.model} ${row.requests}`));

      expect(await hours({})).toEqual(["11-01T09 k1 m1", "11-01T10 k1 m2", "11-01T10 k2 m1", "11-03T11 k1 m1", "12-05T08 k2 m2"]);
      expect(await hours({ key_id: "k1" })).toEqual(["11-01T09 k1 m1", "11-01T10 k1 m2", "11-03T11 k1 m1"]);
      expect(await hours({ key_id: "k1", model: "m1" })).toEqual(["11-01T09 k1 m1", "11-03T11 k1 m1"]);
      expect(await hours({ model: "m1" })).toEqual(["11-01T09 k1 m1", "11-01T10 k2 m1", "11-03T11 k1 m1"]);
      // `from` is inclusive and `to` exclusive, on the bucket's start; both with and without a key.
      const range = { from: "2026-11-01T10:00:00Z", to: "2026-11-03T11:00:00Z" };
      expect(await hours(range)).toEqual(["11-01T10 k1 m2", "11-01T10 k2 m1"]);
      expect(await hours({ ...range, key_id: "k1" })).toEqual(["11-01T10 k1 m2"]);
      expect(await hours({ ...range, model: "m1" })).toEqual(["11-01T10 k2 m1"]);
      expect(await hours({ from: "2026-11-03T11:00:00Z" })).toEqual(["11-03T11 k1 m1", "12-05T08 k2 m2"]);
      expect(await hours({ to: "2026-11-01T10:00:00Z" })).toEqual(["11-01T09 k1 m1"]);
      expect(await hours({ key_id: "k2", from: "2026-11-02T00:00:00Z" })).toEqual(["12-05T08 k2 m2"]);
      expect(await hours({ key_id: "k1", to: "2026-11-01T10:00:00Z" })).toEqual(["11-01T09 k1 m1"]);
      expect(await hours({ from: "2026-10-01T00:00:00Z", to: "2027-01-01T00:00:00Z" })).toHaveLength(5);
      expect(await hours({ key_id: "k3" })).toEqual([]);

      expect(await days({})).toEqual(["11-01 k1 m1 1", "11-01 k1 m2 1", "11-01 k2 m1 1", "11-03 k1 m1 1", "12-05 k2 m2 1"]);
      expect(await days({ from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" })).toEqual(["11-01 k1 m1 1", "11-01 k1 m2 1", "11-01 k2 m1 1", "11-03 k1 m1 1"]);
      expect(await days({ from: "2026-11-02T00:00:00Z", to: "2027-01-01T00:00:00Z", model: "m2" })).toEqual(["12-05 k2 m2 1"]);
    });

    test("the latest records of a key come newest first, limited", async () => {
      await store.writeUsage([
        usageRecord("old", { created_at: "2026-11-03T08:00:00Z" }),
        usageRecord("new", { created_at: "2026-11-03T10:00:00Z" }),
        usageRecord("mid", { created_at: "2026-11-03T09:00:00Z" }),
        usageRecord("other", { key_id: "k2", created_at: "2026-11-03T11:00:00Z" }),
      ]);
      expect((await store.latestUsage("k1", 10)).map((record) => record.request_id)).toEqual(["new", "mid", "old"]);
      expect((await store.latestUsage("k1", 2)).map((record) => record.request_id)).toEqual(["new", "mid"]);
      expect((await store.latestUsage("k2", 10)).map((record) => record.request_id)).toEqual(["other"]);
      expect(await store.latestUsage("k3", 10)).toEqual([]);
    });

    test("a batch larger than one transaction lands whole, and again not at all", async () => {
      const batch = Array.from({ length: 250 }, (_, index) =>
        usageRecord(`r${index}`, {
          key_id: `k${index % 3}`,
          resolved_model: `m${index % 2}`,
          created_at: new Date(Date.UTC(2026, 10, 3, index % 5, index % 60)).toISOString(),
          input_tokens: index,
          cost_usd: 0.001,
        }),
      );
      expect(await store.writeUsage(batch)).toEqual({ written: 250, duplicates: 0 });
      expect(await store.writeUsage(batch)).toEqual({ written: 0, duplicates: 250 });
      const hourly = await rollups("hour");
      expect(hourly).toHaveLength(30);
      expect(hourly.reduce((sum, row) => sum + row.requests, 0)).toBe(250);
      expect(hourly.reduce((sum, row) => sum + row.input_tokens, 0)).toBe((249 * 250) / 2);
      const daily = await rollups("day");
      expect(daily).toHaveLength(6);
      expect(daily.find((row) => row.key_id === "k0" && row.model === "m0")).toMatchObject({ requests: 42, cost_usd: 0.042 });
      expect(await Promise.all(["k0", "k1", "k2"].map((key) => store.getMonthSpend(key, "2026-11")))).toEqual([0.084, 0.083, 0.083]);
    });

    test("concurrent batches into the same roll-ups all count", async () => {
      const batches = Array.from({ length: 10 }, (_, batch) => Array.from({ length: 5 }, (_, index) => usageRecord(`b${batch}-r${index}`)));
      const results = await Promise.all(batches.map((batch) => store.writeUsage(batch)));
      expect(results.reduce((sum, result) => sum + result.written, 0)).toBe(50);
      expect(await rollups("hour")).toEqual([rollup("hour", "2026-11-03T10:00:00.000Z", "k1", "model-a", 50)]);
      expect(await rollups("day")).toEqual([rollup("day", "2026-11-03T00:00:00.000Z", "k1", "model-a", 50)]);
    });

    test("written records add their cost to their key's month spend, and the same batch again adds nothing", async () => {
      const batch = [usageRecord("r1"), usageRecord("r2", { cost_usd: 0.25 }), usageRecord("r3", { key_id: "k2" })];
      await store.writeUsage(batch);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.26);
      expect(await store.getMonthSpend("k2", "2026-11")).toBe(0.01);
      await store.writeUsage(batch);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.26);
      expect(await store.getMonthSpend("k2", "2026-11")).toBe(0.01);
    });

    test("an overlapping batch adds only its new records' cost", async () => {
      await store.writeUsage([usageRecord("r1"), usageRecord("r2")]);
      await store.writeUsage([usageRecord("r2"), usageRecord("r3", { cost_usd: 0.5 }), usageRecord("r1"), usageRecord("r4", { cost_usd: 0.25 })]);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.77);
    });

    test("a request id twice in one batch adds its cost once, as first given", async () => {
      await store.writeUsage([usageRecord("r1", { cost_usd: 0.5 }), usageRecord("r1", { cost_usd: 2 })]);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.5);
    });

    test("records add to the UTC month of their time, each month its own", async () => {
      await store.writeUsage([
        usageRecord("oct", { created_at: "2026-10-31T23:59:59.999Z", cost_usd: 1.5 }),
        usageRecord("nov-by-offset", { created_at: "2026-10-31T23:30:00-01:00", cost_usd: 0.25 }),
        usageRecord("nov", { created_at: "2026-11-20T12:00:00Z", cost_usd: 0.5 }),
      ]);
      expect(await store.listMonthSpend("k1")).toEqual([
        { month: "2026-10", spend_usd: 1.5 },
        { month: "2026-11", spend_usd: 0.75 },
      ]);
    });

    test("a record without cost adds no spend", async () => {
      await store.writeUsage([usageRecord("free", { cost_usd: 0 }), usageRecord("paid", { key_id: "k2" })]);
      expect(await store.listMonthSpend("k1")).toEqual([]);
      expect(await store.listMonthSpend("k2")).toEqual([{ month: "2026-11", spend_usd: 0.01 }]);
    });

    test("concurrent batches add their cost exactly, overlapping ones included", async () => {
      // Batch b holds records b … b+4: 14 distinct records in 10 batches.
      const batches = Array.from({ length: 10 }, (_, batch) => Array.from({ length: 5 }, (_, index) => usageRecord(`r${batch + index}`)));
      const results = await Promise.all(batches.map((batch) => store.writeUsage(batch)));
      expect(results.reduce((sum, result) => sum + result.written, 0)).toBe(14);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.14);
    });

    test("month spend: running totals, 0 for an unknown month, months kept apart", async () => {
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0);
      expect(await store.addMonthSpend("k1", "2026-11", 0.1)).toBe(0.1);
      expect(await store.addMonthSpend("k1", "2026-11", 0.2)).toBe(0.3);
      expect(await store.addMonthSpend("k1", "2026-10", 1.5)).toBe(1.5);
      expect(await store.addMonthSpend("k2", "2026-11", 7)).toBe(7);
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.3);
      expect(await store.getMonthSpend("k1", "2026-10")).toBe(1.5);
      expect(await store.listMonthSpend("k1")).toEqual([
        { month: "2026-10", spend_usd: 1.5 },
        { month: "2026-11", spend_usd: 0.3 },
      ]);
      expect(await store.listMonthSpend("k3")).toEqual([]);
      await expect(store.addMonthSpend("k1", "2026-13", 1)).rejects.toThrow();
      await expect(store.addMonthSpend("k1", "2026-11", -1)).rejects.toThrow();
    });

    test("50 parallel adds to a month sum exactly, each seeing its own total", async () => {
      const totals = await Promise.all(Array.from({ length: 50 }, () => store.addMonthSpend("k1", "2026-11", 0.01)));
      expect(await store.getMonthSpend("k1", "2026-11")).toBe(0.5);
      expect(totals.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => Math.round((index + 1) * 1e8) / 1e10));
    });
  });

  describe("pricing", () => {
    test("put, get, list in order of model id, delete", async () => {
      const put = await store.putPrice(price("model-b", 3));
      expect(put).toEqual({ ...price("model-b", 3), source: "operator", updated_at: expect.any(String) });
      await store.putPrice(price("model-a", 1));
      expect(await store.getPrice("model-b")).toEqual(put);
      expect((await store.listPrices()).map((row) => row.model_id)).toEqual(["model-a", "model-b"]);
      expect(await store.putPrice(price("model-b", 4))).toMatchObject({ input_usd_per_mtok: 4 });
      expect(await store.getPrice("model-b")).toMatchObject({ input_usd_per_mtok: 4 });
      expect(await store.deletePrice("model-b")).toBe(true);
      expect(await store.deletePrice("model-b")).toBe(false);
      expect(await store.getPrice("model-b")).toBeUndefined();
      await expect(store.putPrice({ ...price("model-c", 1), input_usd_per_mtok: -1 })).rejects.toThrow();
    });

    test("the seed adds missing rows and follows itself, but never overwrites an operator's edit", async () => {
      expect(await store.seedPricing([price("a", 1), price("b", 2)])).toEqual({ written: 2, kept: 0 });
      expect(await store.getPrice("a")).toMatchObject({ input_usd_per_mtok: 1, source: "seed" });
      expect(await store.seedPricing([price("a", 1), price("b", 2)])).toEqual({ written: 0, kept: 2 });

      await store.putPrice(price("a", 1.5));
      expect(await store.seedPricing([price("a", 10), price("b", 20), price("c", 30)])).toEqual({ written: 2, kept: 1 });
      expect(await store.getPrice("a")).toMatchObject({ input_usd_per_mtok: 1.5, source: "operator" });
      expect(await store.getPrice("b")).toMatchObject({ input_usd_per_mtok: 20, source: "seed" });
      expect(await store.getPrice("c")).toMatchObject({ input_usd_per_mtok: 30, source: "seed" });

      const tiers = { default: 1, flex: 0.4, priority: 2, reserved: 1 };
      expect(await store.seedPricing([{ ...price("b", 20), tier_multipliers: tiers }])).toEqual({ written: 1, kept: 0 });
      expect((await store.getPrice("b"))?.tier_multipliers).toEqual(tiers);
    });
  });

  describe("aliases", () => {
    test("put, get, overwrite, list in order, delete", async () => {
      const put = await store.putAlias({ alias: "fast", model_id: "qwen.qwen3-coder-480b-a35b-v1:0" });
      expect(put).toEqual({ alias: "fast", model_id: "qwen.qwen3-coder-480b-a35b-v1:0", updated_at: expect.any(String) });
      expect(await store.getAlias("fast")).toEqual(put);
      await store.putAlias({ alias: "best", model_id: "global.anthropic.claude-opus-4-6-v1" });
      await store.putAlias({ alias: "fast", model_id: "amazon.nova-micro-v1:0" });
      expect((await store.listAliases()).map(({ alias, model_id }) => `${alias}=${model_id}`)).toEqual([
        "best=global.anthropic.claude-opus-4-6-v1",
        "fast=amazon.nova-micro-v1:0",
      ]);
      expect(await store.deleteAlias("fast")).toBe(true);
      expect(await store.deleteAlias("fast")).toBe(false);
      expect(await store.getAlias("fast")).toBeUndefined();
      await expect(store.putAlias({ alias: "", model_id: "x" })).rejects.toThrow();
    });
  });

  function rollups(bucket: "hour" | "day"): Promise<UsageRollup[]> {
    return store.queryRollups({ bucket });
  }

  operatorQueriesContract(() => store);
}

export function sha256(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

function newKey(id: string): NewApiKey {
  return { id, key_hash: sha256(`secret-${id}`), key_prefix: `sk-${id}`, name: `key ${id}` };
}

/** The roll-up of `requests` default records. */
function rollup(bucket: "hour" | "day", bucketStart: string, keyId: string, model: string, requests: number): UsageRollup {
  return {
    bucket,
    bucket_start: bucketStart,
    key_id: keyId,
    model,
    requests,
    input_tokens: 100 * requests,
    output_tokens: 50 * requests,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost_usd: Math.round(requests * 1e8) / 1e10,
    errors: 0,
  };
}

function price(modelId: string, input: number): ModelPriceInput {
  return {
    model_id: modelId,
    input_usd_per_mtok: input,
    output_usd_per_mtok: input * 5,
    cache_read_usd_per_mtok: input / 10,
    cache_write_usd_per_mtok: input * 1.25,
    tier_multipliers: { default: 1, flex: 0.5, priority: 1.75, reserved: 1 },
  };
}
