/** @jsxImportSource hono/jsx */
import type { UsageRecord } from "../../gateway/usage/usage-record.ts";
import { formatCount, formatTime, formatUsd } from "../components.tsx";

/** Usage records as the usage page and a key's page list them. */
export function RequestsTable(props: { records: readonly UsageRecord[]; keyNames?: ReadonlyMap<string, string> }) {
  return (
    <div class="table-wrap">
      <table aria-label="Requests">
        <thead>
          <tr><th>Time (UTC)</th><th>Key</th><th>Model</th><th class="num">Input</th><th class="num">Output</th><th class="num">Cache read</th><th class="num">Cost</th><th class="num">Status</th><th class="num">Latency</th><th>Tier</th></tr>
        </thead>
        <tbody>
          {props.records.map((r) => (
            <tr data-request-id={r.request_id}>
              <td>{formatTime(r.created_at)}</td>
              <td>{props.keyNames?.get(r.key_id) ?? r.key_id}</td>
              <td title={r.resolved_model}>{r.requested_model}</td>
              <td class="num">{formatCount(r.input_tokens)}</td>
              <td class="num">{formatCount(r.output_tokens)}</td>
              <td class="num">{formatCount(r.cache_read_input_tokens)}</td>
              <td class="num" data-cost={r.cost_usd}>{formatUsd(r.cost_usd)}</td>
              <td class={r.status >= 400 ? "num over" : "num"}>{r.status}{r.error_type && ` ${r.error_type}`}</td>
              <td class="num">{Math.round(r.latency_ms)} ms</td>
              <td>{r.service_tier}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
