import type { Store } from "../gateway/store.ts";
import { type Bucket, bucketStart, type UsageRecord, type UsageRollup } from "../gateway/usage/usage-record.ts";
import type { ChartData } from "./components.tsx";

/** The figures the overview, a key's page and the usage log are drawn from: roll-ups and records of the store. */

export const ranges = { "24h": 24 * 3_600_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const;
export type Range = keyof typeof ranges;

export interface Window {
  from: string;
  to: string;
  bucket: Bucket;
}

/** The chosen range ending now, its start rounded down to a whole bucket so the first bucket is complete. */
export function windowOf(range: Range, bucket: Bucket, now: Date): Window {
  return { from: bucketStart(new Date(now.getTime() - ranges[range]), bucket), to: now.toISOString(), bucket };
}

/** Every bucket start of the window, so a chart shows quiet hours as zeros rather than skipping them. */
export function bucketStarts({ from, to, bucket }: Window): string[] {
  const step = bucket === "hour" ? 3_600_000 : 86_400_000;
  const starts: string[] = [];
  for (let at = Date.parse(from); at < Date.parse(to); at += step) starts.push(new Date(at).toISOString());
  return starts;
}

/** One series per distinct `group` value, summing `value` per bucket. */
export function seriesBy<T extends { bucket_start: string }>(rows: readonly T[], starts: readonly string[], group: (row: T) => string, value: (row: T) => number): ChartData {
  const index = new Map(starts.map((start, i) => [start, i]));
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.bucket_start);
    if (i === undefined) continue;
    const name = group(row);
    const values = series.get(name) ?? starts.map(() => 0);
    values[i] = (values[i] ?? 0) + value(row);
    series.set(name, values);
  }
  return { x: starts.map((start) => Date.parse(start) / 1000), series: [...series].map(([label, values]) => ({ label, values })) };
}

export type Totals = Pick<UsageRollup, "requests" | "input_tokens" | "output_tokens" | "cache_read_input_tokens" | "cache_creation_input_tokens" | "cost_usd">;

export function sumRollups(rows: readonly Totals[]): Totals {
  const totals: Totals = { requests: 0, input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cost_usd: 0 };
  for (const row of rows) for (const field of Object.keys(totals) as (keyof Totals)[]) totals[field] += row[field];
  return totals;
}

/** The p-th percentile (0..100) by nearest rank; undefined without values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface LogFilter {
  key_id?: string | undefined;
  model?: string | undefined;
  status?: "ok" | "error" | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Most records read per key for the log and the overview's latency figures (the store's latestUsage cap). */
const perKeyLimit = 1_000;

/** The request log, newest first: each key's latest records, filtered. */
export async function usageLog(store: Store, filter: LogFilter): Promise<UsageRecord[]> {
  const keyIds = filter.key_id ? [filter.key_id] : (await store.listKeys()).map((key) => key.id);
  const records = (await Promise.all(keyIds.map((id) => store.latestUsage(id, perKeyLimit)))).flat();
  return records.filter((record) => matches(record, filter)).sort((a, b) => b.created_at.localeCompare(a.created_at));
}

function matches(record: UsageRecord, filter: LogFilter): boolean {
  if (filter.model && record.resolved_model !== filter.model && record.requested_model !== filter.model) return false;
  if (filter.status === "ok" && record.status >= 400) return false;
  if (filter.status === "error" && record.status < 400) return false;
  if (filter.from && record.created_at < filter.from) return false;
  return !(filter.to && record.created_at >= filter.to);
}
