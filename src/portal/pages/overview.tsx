/** @jsxImportSource hono/jsx */
import type { Store } from "../../gateway/store.ts";
import { overview, type SeriesPoint } from "../../gateway/usage/overview.ts";
import type { Bucket } from "../../gateway/usage/usage-record.ts";
import { Chart, formatCount, formatUsd, Layout, type PageContext } from "../components.tsx";
import { bucketStarts, type Range, ranges, seriesBy, windowOf } from "../usage-data.ts";

export interface OverviewQuery {
  range: Range;
  bucket: Bucket;
}

const totalFields = ["requests", "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "cost_usd", "errors"] as const;

/** Requests, tokens, cost and errors over the chosen range, by model and by key; latency; top spenders; budgets (src/gateway/usage/overview.ts). */
export async function overviewPage(store: Store, query: OverviewQuery, now: Date, page: PageContext) {
  const window = windowOf(query.range, query.bucket, now);
  const starts = bucketStarts(window);
  const [figures, keys] = await Promise.all([overview(store, { ...window, top: 10 }, now), store.listKeys()]);
  const names = new Map(keys.map((key) => [key.id, key.name]));
  const keyName = (id: string | null) => (id === null ? "" : (names.get(id) ?? id));
  const total = figures.series.total;
  const sums = Object.fromEntries(totalFields.map((field) => [field, total.reduce((sum, point) => sum + point[field], 0)])) as Record<(typeof totalFields)[number], number>;
  const { latency_ms: latency, time_to_first_token_ms: ttft } = figures.latency;
  const byField = (field: keyof SeriesPoint & (typeof totalFields)[number], label: string) => ({ label, values: starts.map((s) => total.find((p) => p.bucket_start === s)?.[field] ?? 0) });
  const x = starts.map((s) => Date.parse(s) / 1000);

  return (
    <Layout page={page} title="Overview" section="Overview">
      <form method="get" class="inline" aria-label="Range">
        <label for="range">Range</label>
        <select id="range" name="range">
          {Object.keys(ranges).map((r) => (
            <option value={r} selected={r === query.range}>{`last ${r}`}</option>
          ))}
        </select>
        <label for="bucket">Bucket</label>
        <select id="bucket" name="bucket">
          {["hour", "day"].map((b) => (
            <option value={b} selected={b === query.bucket}>{b}</option>
          ))}
        </select>
        <button type="submit">Show</button>
      </form>
      <ul class="stats" aria-label="Totals">
        <li>Requests<strong data-stat="requests">{formatCount(sums.requests)}</strong></li>
        <li>Input tokens<strong>{formatCount(sums.input_tokens)}</strong></li>
        <li>Output tokens<strong>{formatCount(sums.output_tokens)}</strong></li>
        <li>Cost<strong data-stat="cost">{formatUsd(sums.cost_usd)}</strong></li>
        <li>Errors<strong data-stat="errors">{formatCount(sums.errors)}</strong></li>
        <li>Latency p50 / p99<strong>{ms(latency?.p50)} / {ms(latency?.p99)}</strong></li>
        <li>TTFT p50 / p99<strong>{ms(ttft?.p50)} / {ms(ttft?.p99)}</strong></li>
      </ul>
      {!figures.latency.complete && <p>Latency from the newest {formatCount(figures.latency.sampled)} requests of the range.</p>}
      <div class="charts">
        <Chart title="Requests by model" data={seriesBy(figures.series.by_model, starts, (p) => p.group ?? "", (p) => p.requests)} />
        <Chart title="Requests by key" data={seriesBy(figures.series.by_key, starts, (p) => keyName(p.group), (p) => p.requests)} />
        <Chart title="Tokens" data={{ x, series: [byField("input_tokens", "input"), byField("output_tokens", "output"), byField("cache_read_input_tokens", "cache read"), byField("cache_creation_input_tokens", "cache write")] }} />
        <Chart title="Cost by key (USD)" data={seriesBy(figures.series.by_key, starts, (p) => keyName(p.group), (p) => p.cost_usd)} />
        <Chart title="Cost by model (USD)" data={seriesBy(figures.series.by_model, starts, (p) => p.group ?? "", (p) => p.cost_usd)} />
        <Chart title="Errors" data={{ x, series: [byField("errors", "errors")] }} />
      </div>

      <h2>Per {query.bucket}</h2>
      <div class="table-wrap">
        <table aria-label={`Per ${query.bucket}`}>
          <thead>
            <tr><th>Start (UTC)</th><th class="num">Requests</th><th class="num">Input</th><th class="num">Output</th><th class="num">Cache read</th><th class="num">Cache write</th><th class="num">Cost</th><th class="num">Errors</th></tr>
          </thead>
          <tbody>
            {total.map((p) => (
              <tr><td>{p.bucket_start.slice(0, 16).replace("T", " ")}</td><td class="num">{formatCount(p.requests)}</td><td class="num">{formatCount(p.input_tokens)}</td><td class="num">{formatCount(p.output_tokens)}</td><td class="num">{formatCount(p.cache_read_input_tokens)}</td><td class="num">{formatCount(p.cache_creation_input_tokens)}</td><td class="num">{formatUsd(p.cost_usd)}</td><td class="num">{formatCount(p.errors)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Top keys by spend this month</h2>
      <div class="table-wrap">
        <table aria-label="Top keys by spend">
          <thead><tr><th>Key</th><th class="num">Spend this month</th></tr></thead>
          <tbody>
            {figures.top_keys.map((k) => (
              <tr><td><a href={`/admin/keys/${encodeURIComponent(k.key_id)}`}>{keyName(k.key_id)}</a></td><td class="num">{formatUsd(k.spend_usd)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Keys near or over budget</h2>
      <div class="table-wrap">
        <table aria-label="Keys near or over budget">
          <thead><tr><th>Key</th><th class="num">Spend this month</th><th class="num">Budget</th><th class="num">Used</th></tr></thead>
          <tbody>
            {figures.budgets.map((b) => (
              <tr class={b.used >= 1 ? "over" : undefined}><td><a href={`/admin/keys/${encodeURIComponent(b.key_id)}`}>{b.name}</a></td><td class="num">{formatUsd(b.spend_usd)}</td><td class="num">{formatUsd(b.monthly_budget_usd)}</td><td class="num">{Math.round(b.used * 100)} %</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

const ms = (value: number | undefined) => (value === undefined ? "—" : `${Math.round(value)} ms`);
