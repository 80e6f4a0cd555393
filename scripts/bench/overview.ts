import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore } from "../../src/store/create-store.ts";
import { createDynamoDbClient } from "../../src/store/dynamodb/client.ts";
import { tableNames } from "../../src/store/dynamodb/tables.ts";
import { startDynamoDbLocal } from "../../test/support/dynamodb-local.ts";
import { loadDynamoUsage, syntheticUsage, timeOverview, writeUsageInBatches } from "../../test/support/usage-load.ts";
import { format, type TargetResult, table } from "./report.ts";

/**
 * Phase 8, issue 11 point 8: the portal's overview (hourly series over the last day, in all, by model
 * and by key; latency and time-to-first-token percentiles; top spenders; keys near budget) with
 * 100,000 usage records in the store, on a SQLite file (the baseline) and on DynamoDB Local, the same
 * records in both, against the 300 ms target. SQLite is loaded through the store's own writes;
 * DynamoDB Local with batch writes of the same items (test/support/usage-load.ts), its per-record
 * transactions taking minutes. Loading DynamoDB Local takes most of the phase (a minute or more).
 */

export const overviewRecords = 100_000;
export const maxOverviewMs = 300;

type StoreName = "sqlite" | "dynamodb";

interface StoreTimes {
  median: number;
  slowest: number;
  loadSeconds: number;
}

export type OverviewFigures = Record<StoreName, StoreTimes>;

const summary = (sorted: number[], loadSeconds: number): StoreTimes => ({ median: sorted[Math.floor(sorted.length / 2)] ?? 0, slowest: sorted.at(-1) ?? 0, loadSeconds });

async function sqlite(now: Date): Promise<StoreTimes> {
  const dir = mkdtempSync(join(tmpdir(), "bench-overview-"));
  const store = await createStore({ kind: "sqlite", path: join(dir, "proxy.db") });
  try {
    const loading = performance.now();
    await writeUsageInBatches(store, syntheticUsage(overviewRecords, now));
    const loaded = (performance.now() - loading) / 1000;
    return summary((await timeOverview(store, now)).sorted, loaded);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function dynamodb(now: Date): Promise<StoreTimes> {
  // The JVM took 17 s to answer at a load average of 13 on this 2-core machine, past 30 s at 20.
  const local = await startDynamoDbLocal({ startupTimeoutMs: 120_000 });
  const connection = { endpoint: local.endpoint, region: local.region, credentials: local.credentials };
  const store = await createStore({ kind: "dynamodb", ...connection, tablePrefix: "", createTables: true });
  const client = createDynamoDbClient(connection);
  try {
    const loading = performance.now();
    await loadDynamoUsage(client, tableNames(""), syntheticUsage(overviewRecords, now));
    const loaded = (performance.now() - loading) / 1000;
    return summary((await timeOverview(store, now)).sorted, loaded);
  } finally {
    client.destroy();
    await store.close();
    await local.dispose();
  }
}

export async function measureOverview(log: (line: string) => void): Promise<OverviewFigures> {
  const now = new Date();
  log(`  loading ${overviewRecords.toLocaleString("en-US")} records into SQLite, then into DynamoDB Local`);
  return { sqlite: await sqlite(now), dynamodb: await dynamodb(now) };
}

export function overviewSection(f: OverviewFigures): string {
  const row = (label: string, times: StoreTimes) => [label, `${times.loadSeconds.toFixed(1)} s`, format.ms(times.median), format.ms(times.slowest)];
  return [
    table(["store", "load", "median", "slowest"], [row("SQLite (baseline)", f.sqlite), row("DynamoDB Local", f.dynamodb)]),
    `  DynamoDB Local / SQLite: median ${format.ratio(f.dynamodb.median / f.sqlite.median)}, slowest ${format.ratio(f.dynamodb.slowest / f.sqlite.slowest)} (5 runs each after a warm-up)`,
  ].join("\n");
}

export function overviewTargets(f: OverviewFigures | undefined): TargetResult[] {
  if (!f) return [];
  return (["sqlite", "dynamodb"] as const).map((name) => ({
    target: `overview, ${overviewRecords.toLocaleString("en-US")} records, ${name === "sqlite" ? "SQLite" : "DynamoDB Local"}: slowest of 5 ≤ ${maxOverviewMs} ms`,
    measured: format.ms(f[name].slowest),
    pass: f[name].slowest <= maxOverviewMs,
  }));
}
