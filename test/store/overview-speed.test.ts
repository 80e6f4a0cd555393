import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../src/gateway/store.ts";
import { createStore } from "../../src/store/create-store.ts";
import { syntheticUsage, timeOverview, writeUsageInBatches } from "../support/usage-load.ts";

/**
 * Issue 11, point 8: the portal's overview (series by hour over the last day, three ways; latency
 * percentiles; top spenders; keys near budget) answers in 300 ms or less with 100,000 usage records in
 * the store. Here on SQLite (the figures are printed; the slowest of five runs after a warm-up must
 * be within the target); DynamoDB Local, whose load alone takes a minute or more, in `bun run bench` (phase 8).
 */

const records = 100_000;
const targetMs = 300;
const now = new Date();

async function slowestRun(store: Store, label: string): Promise<number> {
  const { warm, sorted } = await timeOverview(store, now);
  expect(warm.series.total.reduce((sum, point) => sum + point.requests, 0)).toBeGreaterThan(records / 10);
  expect(warm.latency.sampled).toBeGreaterThan(0);
  expect(warm.top_keys).toHaveLength(10);
  expect(warm.budgets.map((standing) => standing.key_id)).toEqual(["key-0"]);
  console.log(`overview on ${label} with ${records} records: median ${sorted[2]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms (target ${targetMs} ms)`);
  return sorted.at(-1) ?? Number.POSITIVE_INFINITY;
}

describe("the overview with 100,000 usage records", () => {
  const dir = mkdtempSync(join(tmpdir(), "overview-speed-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("answers within 300 ms on SQLite", async () => {
    const store = await createStore({ kind: "sqlite", path: join(dir, "proxy.db") });
    try {
      await writeUsageInBatches(store, syntheticUsage(records, now));
      expect(await slowestRun(store, "SQLite")).toBeLessThanOrEqual(targetMs);
    } finally {
      await store.close();
    }
  }, 120_000);
});
