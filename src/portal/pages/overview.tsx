import type { Store } from "../../gateway/store.ts";
import { utcMonth } from "../../gateway/values.ts";
import { type Bucket, bucketStart } from "../../gateway/usage/usage-record.ts";
import { Chart, formatCount, formatUsd, Layout, type PageContext } from "../components.tsx";
import { bucketStarts, percentile, type Range, ranges, seriesBy, sumRollups, usageLog, windowOf } from "../usage-data.ts";

/** Share of the monthly budget from which a key is listed as near its budget. */
const nearBudget = 0.8;

export interface OverviewQuery {
  range: Range;
  bucket: Bucket;
}

/** Requests, tokens, cost and errors over the chosen range, by model and by key; latency; top spenders; budgets. */
export async function overviewPage(store: Store, query: OverviewQuery, now: Date, page: PageContext) {
  const window = windowOf(query.range, query.bucket, now);
  const starts = bucketStarts(window);
  const [rollups, records, keys] = await Promise.all([store.queryRollups(window), usageLog(store, { from: window.from, to: window.to }), store.listKeys()]);
  const names = new Map(keys.map((key) => [key.id, key.name]));
  const keyName = (id: string) => names.get(id) ?? id;
  const errors = records.filter((r) => r.status >= 400).map((r) => ({ bucket_start: bucketStart(r.created_at, query.bucket) }));
  const ttfts = records.flatMap((r) => (r.time_to_first_token_ms === null ? [] : [r.time_to_first_token_ms]));
  const latencies = records.map((r) => r.latency_ms);
  const totals = sumRollups(rollups);
  const rows = starts.map((start) => ({ start, ...sumRollups(rollups.filter((r) => r.bucket_start === start)), errors: errors.filter((e) => e.bucket_start === start).length }));
  const spendByKey = [...groupSum(rollups, (r) => r.key_id, (r) => r.cost_usd)].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const month = utcMonth(now);
  const budgets = await Promise.all(
    keys.filter((k) => k.monthly_budget_usd !== null && k.status !== "revoked").map(async (k) => ({ key: k, budget: k.monthly_budget_usd ?? 0, spend: await store.getMonthSpend(k.id, month) })),
  );
  const watched = budgets.filter((b) => b.spend >= b.budget * nearBudget);

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
        <li>Requests<strong data-stat="requests">{formatCount(totals.requests)}</strong></li>
        <li>Input tokens<strong>{formatCount(totals.input_tokens)}</strong></li>
        <li>Output tokens<strong>{formatCount(totals.output_tokens)}</strong></li>
        <li>Cost<strong data-stat="cost">{formatUsd(totals.cost_usd)}</strong></li>
        <li>Errors<strong data-stat="errors">{formatCount(errors.length)}</strong></li>
        <li>Latency p50 / p99<strong>{ms(percentile(latencies, 50))} / {ms(percentile(latencies, 99))}</strong></li>
        <li>TTFT p50 / p99<strong>{ms(percentile(ttfts, 50))} / {ms(percentile(ttfts, 99))}</strong></li>
      </ul>
      <div class="charts">
        <Chart title="Requests by model" data={seriesBy(rollups, starts, (r) => r.model, (r) => r.requests)} />
        <Chart title="Requests by key" data={seriesBy(rollups, starts, (r) => keyName(r.key_id), (r) => r.requests)} />
        <Chart
          title="Tokens"
          data={{
            x: starts.map((s) => Date.parse(s) / 1000),
            series: [
              { label: "input", values: rows.map((r) => r.input_tokens) },
              { label: "output", values: rows.map((r) => r.output_tokens) },
              { label: "cache read", values: rows.map((r) => r.cache_read_input_tokens) },
              { label: "cache write", values: rows.map((r) => r.cache_creation_input_tokens) },
            ],
          }}
        />
        <Chart title="Cost by key (USD)" data={seriesBy(rollups, starts, (r) => keyName(r.key_id), (r) => r.cost_usd)} />
        <Chart title="Cost by model (USD)" data={seriesBy(rollups, starts, (r) => r.model, (r) => r.cost_usd)} />
        <Chart title="Errors" data={seriesBy(errors, starts, () => "errors", () => 1)} />
      </div>

      <h2>Per {query.bucket}</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th>Start (UTC)</th><th class="num">Requests</th><th class="num">Input</th><th class="num">Output</th><th class="num">Cache read</th><th class="num">Cache write</th><th class="num">Cost</th><th class="num">Errors</th></tr>
          </thead>
          <tbody>
            {rows.filter((r) => r.requests > 0 || r.errors > 0).map((r) => (
              <tr><td>{r.start.slice(0, 16).replace("T", " ")}</td><td class="num">{formatCount(r.requests)}</td><td class="num">{formatCount(r.input_tokens)}</td><td class="num">{formatCount(r.output_tokens)}</td><td class="num">{formatCount(r.cache_read_input_tokens)}</td><td class="num">{formatCount(r.cache_creation_input_tokens)}</td><td class="num">{formatUsd(r.cost_usd)}</td><td class="num">{formatCount(r.errors)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Top keys by spend</h2>
      <div class="table-wrap">
        <table aria-label="Top keys by spend">
          <thead><tr><th>Key</th><th class="num">Spend in range</th></tr></thead>
          <tbody>
            {spendByKey.map(([id, usd]) => (
              <tr><td><a href={`/admin/keys/${encodeURIComponent(id)}`}>{keyName(id)}</a></td><td class="num">{formatUsd(usd)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Keys near or over budget</h2>
      <div class="table-wrap">
        <table aria-label="Keys near or over budget">
          <thead><tr><th>Key</th><th class="num">Spend this month</th><th class="num">Budget</th></tr></thead>
          <tbody>
            {watched.map(({ key, spend, budget }) => (
              <tr class={spend >= budget ? "over" : undefined}><td><a href={`/admin/keys/${encodeURIComponent(key.id)}`}>{key.name}</a></td><td class="num">{formatUsd(spend)}</td><td class="num">{formatUsd(budget)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

const ms = (value: number | undefined) => (value === undefined ? "—" : `${Math.round(value)} ms`);

function groupSum<T>(rows: readonly T[], key: (row: T) => string, value: (row: T) => number): Map<string, number> {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + value(row));
  return sums;
}
