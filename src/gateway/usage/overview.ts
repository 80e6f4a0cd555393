import { z } from "zod";
import type { KeyStore } from "../keys/api-key.ts";
import { compareText, roundUsd, timestampSchema, utcMonth } from "../values.ts";
import { type KeySpend, type UsageQueryStore, usageLogQuerySchema } from "./usage-queries.ts";
import { type Bucket, bucketSchema, type UsageRollup, type UsageStore } from "./usage-record.ts";

/**
 * The operator's overview (portal and admin API alike): usage over time from the hourly and daily
 * roll-ups, latency percentiles from a capped sample of the newest records, top spenders and keys
 * near their budget from the month's spend. Written over the Store interface, so both stores answer
 * the same.
 */

/**
 * How many records, newest first, the latency percentiles read at most: few enough that the overview
 * stays within its 300 ms on DynamoDB too (DynamoDB Local reads a record in about 0.3 ms: 1,000 were
 * most of the budget), enough for p99 to be the 5th slowest.
 */
export const latencySampleCap = 500;

export const seriesQuerySchema = z.strictObject({
  bucket: bucketSchema.default("hour"),
  /** Buckets starting in [from, to); by default the last 24 hours (hour buckets) or 30 days (day buckets). */
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  /** One series in all, or one per model or per key. */
  group_by: z.enum(["total", "model", "key"]).default("total"),
  key_id: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(2048).optional(),
});
export type SeriesQuery = z.input<typeof seriesQuerySchema>;

/** One bucket of one series: the roll-ups' sums, by model, by key, or in total. */
export type SeriesPoint = Omit<UsageRollup, "bucket" | "key_id" | "model"> & {
  /** The model or key id of the point's series; null for the total. */
  group: string | null;
};

/** Points ordered by bucket_start, then group; buckets without requests are left out. */
export async function usageSeries(store: UsageStore, input: SeriesQuery, now = new Date()): Promise<SeriesPoint[]> {
  const { group_by, ...query } = seriesQuerySchema.parse(input);
  return seriesOf(await store.queryRollups({ ...query, ...seriesRange(query, now) }), group_by);
}

/** The query's range, by default the last 24 hours (hour buckets) or 30 days (day buckets) before `to` or now. */
function seriesRange(query: { bucket: Bucket; from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? now.toISOString();
  const from = query.from ?? new Date(Date.parse(to) - (query.bucket === "hour" ? 1 : 30) * 86_400_000).toISOString();
  return { from, to };
}

/** Roll-ups summed per bucket and group. */
export function seriesOf(rows: readonly UsageRollup[], groupBy: SeriesQuery["group_by"]): SeriesPoint[] {
  const points = new Map<string, SeriesPoint>();
  for (const row of rows) {
    const group = groupBy === "model" ? row.model : groupBy === "key" ? row.key_id : null;
    const id = `${row.bucket_start}\u0000${group ?? ""}`;
    points.set(id, add(points.get(id) ?? emptyPoint(row.bucket_start, group), row));
  }
  return [...points.values()].sort((a, b) => compareText(a.bucket_start, b.bucket_start) || compareText(a.group ?? "", b.group ?? ""));
}

function emptyPoint(bucketStart: string, group: string | null): SeriesPoint {
  return { bucket_start: bucketStart, group, requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0, errors: 0 };
}

function add(point: SeriesPoint, row: UsageRollup): SeriesPoint {
  point.requests += row.requests;
  point.input_tokens += row.input_tokens;
  point.output_tokens += row.output_tokens;
  point.cache_read_input_tokens += row.cache_read_input_tokens;
  point.cache_creation_input_tokens += row.cache_creation_input_tokens;
  point.cost_usd = roundUsd(point.cost_usd + row.cost_usd);
  point.errors += row.errors;
  return point;
}

export const latencyQuerySchema = usageLogQuerySchema.pick({ key_id: true, model: true, from: true, to: true });
export type LatencyQuery = z.input<typeof latencyQuerySchema>;

export interface Percentiles {
  p50: number;
  p99: number;
}

export interface LatencySummary {
  /** Records the percentiles were taken from: the newest of the range, at most `latencySampleCap`. */
  sampled: number;
  /** False when the range held more records than the sample. */
  complete: boolean;
  /** Null without records (or, for time to first token, without a record that sent a byte). */
  latency_ms: Percentiles | null;
  time_to_first_token_ms: Percentiles | null;
}

/**
 * Latency and time-to-first-token percentiles over a range, read from the records themselves (the
 * roll-ups keep sums, not distributions), capped at the newest `latencySampleCap`: a bounded read
 * whatever the traffic, exact below the cap and a recent sample above it.
 */
export async function latencySummary(store: UsageQueryStore, input: LatencyQuery, cap = latencySampleCap): Promise<LatencySummary> {
  const query = latencyQuerySchema.parse(input);
  const latencies: number[] = [];
  const firstTokens: number[] = [];
  let cursor: string | undefined;
  let complete = true;
  do {
    const page = await store.listUsage({ ...query, cursor, limit: Math.min(1000, cap - latencies.length) });
    for (const record of page.data) {
      latencies.push(record.latency_ms);
      if (record.time_to_first_token_ms !== null) firstTokens.push(record.time_to_first_token_ms);
    }
    cursor = page.next_cursor ?? undefined;
    if (cursor !== undefined && latencies.length >= cap) complete = (await store.listUsage({ ...query, cursor, limit: 1 })).data.length === 0;
  } while (cursor !== undefined && latencies.length < cap);
  return { sampled: latencies.length, complete, latency_ms: percentiles(latencies), time_to_first_token_ms: percentiles(firstTokens) };
}

/** Nearest-rank percentiles. */
export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { p50: rank(50), p99: rank(99) };
}

/** The keys that spent most in a UTC month (this month by default). */
export function topSpenders(store: UsageQueryStore, limit: number, month = utcMonth(new Date())): Promise<KeySpend[]> {
  return store.topMonthSpend(month, limit);
}

export interface BudgetStanding {
  key_id: string;
  name: string;
  monthly_budget_usd: number;
  spend_usd: number;
  /** spend / budget: 1 or more is over budget. */
  used: number;
}

/** Share of its budget from which a key counts as near it. */
export const nearBudgetShare = 0.8;

/** Keys with a budget that have spent at least `share` of it this month, most used first. */
export async function keysNearBudget(store: KeyStore & UsageQueryStore, share = nearBudgetShare, month = utcMonth(new Date())): Promise<BudgetStanding[]> {
  const [keys, spends] = await Promise.all([store.listKeys(), store.topMonthSpend(month, Number.MAX_SAFE_INTEGER)]);
  const spendOf = new Map(spends.map((spend) => [spend.key_id, spend.spend_usd]));
  const standings: BudgetStanding[] = [];
  for (const key of keys) {
    if (key.monthly_budget_usd === null || key.status === "revoked") continue;
    const spend = spendOf.get(key.id) ?? 0;
    // A budget of 0 refuses every request: the key is at its budget whatever it spent.
    const used = key.monthly_budget_usd === 0 ? 1 : spend / key.monthly_budget_usd;
    if (used >= share) standings.push({ key_id: key.id, name: key.name, monthly_budget_usd: key.monthly_budget_usd, spend_usd: spend, used });
  }
  return standings.sort((a, b) => b.used - a.used || (a.key_id < b.key_id ? -1 : 1));
}

export const overviewQuerySchema = seriesQuerySchema.omit({ group_by: true }).extend({
  /** How many top spenders to list. */
  top: z.coerce.number().int().positive().max(100).default(10),
});
export type OverviewQuery = z.input<typeof overviewQuerySchema>;

/** Everything the overview page shows, read at once: the series three ways, percentiles, top spenders, budgets. */
export async function overview(store: KeyStore & UsageStore & UsageQueryStore, input: OverviewQuery, now = new Date()) {
  const { top, ...query } = overviewQuerySchema.parse(input);
  const { from, to } = seriesRange(query, now);
  const [rollups, latency, topKeys, budgets] = await Promise.all([
    store.queryRollups({ ...query, from, to }),
    latencySummary(store, { key_id: query.key_id, model: query.model, from, to }),
    topSpenders(store, top, utcMonth(now)),
    keysNearBudget(store, nearBudgetShare, utcMonth(now)),
  ]);
  const series = { total: seriesOf(rollups, "total"), by_model: seriesOf(rollups, "model"), by_key: seriesOf(rollups, "key") };
  return { bucket: query.bucket, from, to, series, latency, top_keys: topKeys, budgets };
}
export type Overview = Awaited<ReturnType<typeof overview>>;
