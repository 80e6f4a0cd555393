import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createModelResolver, familyDefaults } from "../../src/bedrock/models.ts";
import { loadConfig } from "../../src/config.ts";
import { createStore } from "../../src/store/create-store.ts";
import { pricingSeed } from "../../src/store/pricing-seed.ts";
import { migrations } from "../../src/store/sqlite/migrations.ts";
import { modelPriceSchema } from "../../src/gateway/pricing/model-price.ts";
import { checkUsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { usageRecord } from "../support/usage-record.ts";
import { storeContract } from "./contract.ts";

describe("SQLite store", () => {
  storeContract(() => createStore({ kind: "sqlite", path: ":memory:" }));
});

describe("SQLite file", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "store-sqlite-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test("is created with its directory on first start, in WAL mode, and keeps its data", async () => {
    const path = join(tempDir(), "nested", "data", "proxy.db");
    const first = await createStore({ kind: "sqlite", path });
    await first.putAlias({ alias: "fast", model_id: "amazon.nova-micro-v1:0" });
    await first.addMonthSpend("k1", "2026-11", 1.25);
    await first.close();

    const db = new Database(path, { readonly: true });
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(migrations.length);
    db.close();

    const second = await createStore({ kind: "sqlite", path });
    expect((await second.getAlias("fast"))?.model_id).toBe("amazon.nova-micro-v1:0");
    expect(await second.getMonthSpend("k1", "2026-11")).toBe(1.25);
    await second.ready();
    await second.close();
    await expect(second.ready()).rejects.toThrow();
  });

  test("a database of schema 1 is brought up to date, its keys keeping their tier", async () => {
    const path = join(tempDir(), "proxy.db");
    const db = new Database(path, { create: true });
    db.run(migrations[0] ?? "");
    db.run("PRAGMA user_version = 1");
    db.run(`INSERT INTO api_keys VALUES ('old', '${"a".repeat(64)}', 'sk-old', 'old key', '', 'active', NULL, NULL, 60, NULL, NULL, 'default', '["*"]', '{}', '2026-01-01T00:00:00.000Z', NULL)`);
    db.close();
    const store = await createStore({ kind: "sqlite", path });
    expect(await store.getKey("old")).toMatchObject({ name: "old key", rpm: 60, service_tier: "default" });
    expect((await store.listKeys()).map((key) => key.id)).toEqual(["old"]);
    expect((await store.updateKey("old", { service_tier: null }))?.service_tier).toBeNull();
    await store.close();
  });

  test("a database of schema 2 gains errors in its roll-ups, counted from its records", async () => {
    const path = join(tempDir(), "proxy.db");
    const db = new Database(path, { create: true });
    db.run(migrations[0] ?? "");
    db.run(migrations[1] ?? "");
    db.run("PRAGMA user_version = 2");
    const insert = (id: string, at: string, status: number) =>
      db.run(`INSERT INTO usage_records VALUES ('${id}', 'k1', '${at}', 'a', 'model-a', 1, 1, 0, 0, 'default', NULL, 10, ${status}, NULL, 0)`);
    insert("r1", "2026-11-03T10:15:00.000Z", 200);
    insert("r2", "2026-11-03T10:45:00.000Z", 500);
    insert("r3", "2026-11-03T11:00:00.000Z", 429);
    for (const [bucket, start, requests] of [["hour", "2026-11-03T10:00:00.000Z", 2], ["hour", "2026-11-03T11:00:00.000Z", 1], ["day", "2026-11-03T00:00:00.000Z", 3]] as const) {
      db.run(`INSERT INTO usage_rollups VALUES ('${bucket}', 'k1', 'model-a', '${start}', ${requests}, ${requests}, ${requests}, 0, 0, 0)`);
    }
    db.close();
    const store = await createStore({ kind: "sqlite", path });
    expect((await store.queryRollups({ bucket: "hour" })).map((row) => [row.bucket_start.slice(11, 13), row.requests, row.errors])).toEqual([
      ["10", 2, 1],
      ["11", 1, 1],
    ]);
    expect((await store.queryRollups({ bucket: "day" })).map((row) => row.errors)).toEqual([2]);
    await store.close();
  });

  test("refuses a database whose schema is newer than it knows", async () => {
    const path = join(tempDir(), "proxy.db");
    const db = new Database(path, { create: true });
    db.run(`PRAGMA user_version = ${migrations.length + 1}`);
    db.close();
    await expect(createStore({ kind: "sqlite", path })).rejects.toThrow(/newer/);
  });
});

describe("pricing seed", () => {
  test("every entry is a valid price, one per model id", () => {
    for (const entry of pricingSeed) modelPriceSchema.parse(entry);
    expect(new Set(pricingSeed.map((entry) => entry.model_id)).size).toBe(pricingSeed.length);
  });

  test("prices every model the built-in aliases and family defaults route to", () => {
    const resolver = createModelResolver({}, familyDefaults(loadConfig({})));
    const priced = new Set(pricingSeed.map((entry) => entry.model_id));
    const unpriced = [...new Set(resolver.aliases().values())].filter((modelId) => !priced.has(modelId));
    expect(unpriced).toEqual([]);
  });

  test("seeds a store once, and a restart changes nothing", async () => {
    const store = await createStore({ kind: "sqlite", path: ":memory:" });
    expect(await store.seedPricing(pricingSeed)).toEqual({ written: pricingSeed.length, kept: 0 });
    expect(await store.seedPricing(pricingSeed)).toEqual({ written: 0, kept: pricingSeed.length });
    expect(await store.getPrice("global.anthropic.claude-sonnet-4-6")).toMatchObject({ input_usd_per_mtok: 3, output_usd_per_mtok: 15, cache_read_usd_per_mtok: 0.3, cache_write_usd_per_mtok: 3.75 });
    await store.close();
  });
});

describe("SQLite usage writes and the event loop", () => {
  test("a batch is written in short transactions with the event loop free between them", async () => {
    // bun:sqlite is synchronous: one transaction for a 100-record batch held the loop for several ms,
    // delaying whichever request was in flight (the proxy's p99 one request at a time).
    const store = await createStore({ kind: "sqlite", path: ":memory:" });
    let turns = 0;
    let writing = true;
    const turn = () => {
      if (!writing) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const result = await store.writeUsage(Array.from({ length: 100 }, (_, i) => usageRecord(`loop-${i}`)));
    writing = false;
    expect(result).toEqual({ written: 100, duplicates: 0 });
    expect(turns).toBeGreaterThanOrEqual(9);
    await store.close();
  });

  test("a transaction takes records for about a millisecond, then frees the loop: a long batch never holds it", async () => {
    // Records the ticket checked are not parsed again, so only the transactions' own slicing keeps the loop free.
    const store = await createStore({ kind: "sqlite", path: ":memory:" });
    const records = Array.from({ length: 10_000 }, (_, i) => {
      const checked = checkUsageRecord(usageRecord(`slice-${i}`));
      if (!checked.success) throw checked.error;
      return checked.data;
    });
    let longestGap = 0;
    let last = performance.now();
    let writing = true;
    const turn = () => {
      if (!writing) return;
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      setImmediate(turn);
    };
    setImmediate(turn);
    const started = performance.now();
    const result = await store.writeUsage(records);
    const took = performance.now() - started;
    writing = false;
    longestGap = Math.max(longestGap, performance.now() - last);
    expect(result).toEqual({ written: 10_000, duplicates: 0 });
    // Each slice holds the loop about 1 ms; a whole-batch transaction would hold it for all of `took`.
    expect(longestGap).toBeLessThan(took / 4);
    expect((await store.queryRollups({ bucket: "hour" }))[0]).toMatchObject({ requests: 10_000 });
    await store.close();
  });
});
