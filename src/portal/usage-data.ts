import type { Bucket } from "../gateway/usage/usage-record.ts";
import { bucketStart } from "../gateway/usage/usage-record.ts";
import type { ChartData } from "./components.tsx";

/** The time windows the portal's charts cover, and series laid out for them (every bucket, quiet ones as zeros). */

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
