import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../src/gateway/store.ts";
import { overview } from "../../src/gateway/usage/overview.ts";
import { createStore } from "../../src/store/create-store.ts";
import { createDynamoDbClient } from "../../src/store/dynamodb/client.ts";
import { tableNames } from "../../src/store/dynamodb/tables.ts";
import { startDynamoDbLocal } from "../../test/support/dynamodb-local.ts";
import { loadDynamoUsage, syntheticUsage } from "../../test/support/usage-load.ts";

/**
 * `bun run bench:overview`: issue 11, point 8. The portal's overview (hourly series over the last day,
 * in all, by model and by key; latency and time-to-first-token percentiles; top spenders; keys near
 * budget) with 100,000 usage records in the store, on a SQLite file and on DynamoDB Local, against
 * its 300 ms target. SQLite is loaded through the store's own writes; DynamoDB Local with batch writes
 * of the same items (test/support/usage-load.ts), its per-record transactions taking minutes. Prints
 * the median and slowest of 5 runs after a warm-up; exit code 1 with --strict on a MISS.
 */

const records = 100_000;
const targetMs = 300;
const runs = 5;

async function timeOverview(store: Store, now: Date): Promise<{ median: number; max: number }> {
  await store.createKey({ id: "key-0", key_hash: "0".repeat(64), key_prefix: "sk-0", name: "budgeted", monthly_budget_usd: 0.01 });
  await overview(store, {}, now);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await overview(store, {}, now);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)] ?? 0, max: times.at(-1) ?? 0 };
}

async function sqlite(now: Date) {
  const dir = mkdtempSync(join(tmpdir(), "bench-overview-"));
  const store = await createStore({ kind: "sqlite", path: join(dir, "proxy.db") });
  try {
    const load = syntheticUsage(records, now);
    for (let start = 0; start < load.length; start += 5_000) await store.writeUsage(load.slice(start, start + 5_000));
    return await timeOverview(store, now);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function dynamodb(now: Date) {
  const local = await startDynamoDbLocal();
  const connection = { endpoint: local.endpoint, region: local.region, credentials: local.credentials };
  const store = await createStore({ kind: "dynamodb", ...connection, tablePrefix: "", createTables: true });
  const client = createDynamoDbClient(connection);
  try {
    await loadDynamoUsage(client, tableNames(""), syntheticUsage(records, now));
    return await timeOverview(store, now);
  } finally {
    client.destroy();
    await store.close();
    await local.dispose();
  }
}

const now = new Date();
let missed = false;
for (const [label, measure] of [["SQLite", sqlite], ["DynamoDB Local", dynamodb]] as const) {
  const { median, max } = await measure(now);
  const verdict = max <= targetMs ? "ok" : "MISS";
  if (verdict === "MISS") missed = true;
  console.log(`overview, ${records} records, ${label.padEnd(14)} median ${median.toFixed(1)} ms, slowest ${max.toFixed(1)} ms (target <= ${targetMs} ms): ${verdict}`);
}
if (missed && process.argv.includes("--strict")) process.exit(1);
