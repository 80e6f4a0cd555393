import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Store } from "../../src/gateway/store.ts";
import { keysNearBudget, latencySummary, percentiles, usageSeries } from "../../src/gateway/usage/overview.ts";
import { createStore } from "../../src/store/create-store.ts";
import { usageRecord } from "../support/usage-record.ts";

let store: Store;
beforeEach(async () => {
  store = await createStore({ kind: "sqlite", path: ":memory:" });
});
afterEach(async () => {
  await store.close();
});

const range = { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z" };

describe("the overview's figures", () => {
  test("series sum the roll-ups per bucket, in all, by model or by key, errors included", async () => {
    await store.writeUsage([
      usageRecord("a", { key_id: "k1", resolved_model: "m1", created_at: "2026-11-03T10:10:00Z", cost_usd: 0.1 }),
      usageRecord("b", { key_id: "k2", resolved_model: "m1", created_at: "2026-11-03T10:20:00Z", cost_usd: 0.2, status: 500, error_type: "api_error" }),
      usageRecord("c", { key_id: "k2", resolved_model: "m2", created_at: "2026-11-03T11:00:00Z" }),
    ]);
    const total = await usageSeries(store, { ...range, bucket: "hour" });
    expect(total.map((point) => [point.bucket_start.slice(11, 13), point.group, point.requests, point.input_tokens, point.cost_usd, point.errors])).toEqual([
      ["10", null, 2, 200, 0.3, 1],
      ["11", null, 1, 100, 0.01, 0],
    ]);
    const byKey = await usageSeries(store, { ...range, bucket: "day", group_by: "key" });
    expect(byKey.map((point) => [point.group, point.requests])).toEqual([
      ["k1", 1],
      ["k2", 2],
    ]);
    const byModel = await usageSeries(store, { ...range, bucket: "day", group_by: "model", key_id: "k2" });
    expect(byModel.map((point) => [point.group, point.requests, point.errors])).toEqual([
      ["m1", 1, 1],
      ["m2", 1, 0],
    ]);
  });

  test("percentiles by nearest rank; none without values", () => {
    expect(percentiles([])).toBeNull();
    expect(percentiles([5])).toEqual({ p50: 5, p99: 5 });
    expect(percentiles(Array.from({ length: 100 }, (_, i) => 100 - i))).toEqual({ p50: 50, p99: 99 });
  });

  test("latency from the newest records up to the cap, saying when the range held more", async () => {
    await store.writeUsage(
      Array.from({ length: 5 }, (_, i) =>
        usageRecord(`r${i}`, { created_at: `2026-11-03T10:0${i}:00Z`, latency_ms: 100 * (i + 1), time_to_first_token_ms: i === 4 ? null : 10 * (i + 1) }),
      ),
    );
    expect(await latencySummary(store, range)).toEqual({ sampled: 5, complete: true, latency_ms: { p50: 300, p99: 500 }, time_to_first_token_ms: { p50: 20, p99: 40 } });
    expect(await latencySummary(store, range, 2)).toEqual({ sampled: 2, complete: false, latency_ms: { p50: 400, p99: 500 }, time_to_first_token_ms: { p50: 40, p99: 40 } });
    expect(await latencySummary(store, range, 5)).toMatchObject({ sampled: 5, complete: true });
    expect(await latencySummary(store, { from: "2027-01-01T00:00:00Z", to: "2027-02-01T00:00:00Z" })).toEqual({ sampled: 0, complete: true, latency_ms: null, time_to_first_token_ms: null });
  });

  test("keys near or over their budget this month, most used first; revoked keys and keys without a budget left out", async () => {
    const key = (id: string, budget: number | null, status: "active" | "revoked" = "active") =>
      store.createKey({ id, key_hash: id.padEnd(64, "0"), key_prefix: id, name: id, monthly_budget_usd: budget, status });
    await key("a0", 10);
    await key("b0", 10);
    await key("c0", 10);
    await key("d0", null);
    await key("e0", 1, "revoked");
    await key("f0", 0);
    for (const [id, usd] of [["a0", 8], ["b0", 12], ["c0", 7.9], ["d0", 100], ["e0", 5]] as const) await store.addMonthSpend(id, "2026-11", usd);
    expect((await keysNearBudget(store, 0.8, "2026-11")).map((standing) => [standing.key_id, standing.used])).toEqual([
      ["b0", 1.2],
      ["f0", 1],
      ["a0", 0.8],
    ]);
  });
});
