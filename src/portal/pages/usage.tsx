import type { Store } from "../../gateway/store.ts";
import type { UsageRecord } from "../../gateway/usage/usage-record.ts";
import { Layout, type PageContext } from "../components.tsx";
import type { LogFilter } from "../usage-data.ts";
import { RequestsTable } from "./requests-table.tsx";

export const pageSize = 50;

export interface UsageQuery extends LogFilter {
  page: number;
}

/** The request log, filterable by key, model, status and time, paged, with a CSV export of the same filter. */
export async function usagePage(store: Store, records: readonly UsageRecord[], query: UsageQuery, page: PageContext) {
  const keys = await store.listKeys();
  const shown = records.slice((query.page - 1) * pageSize, query.page * pageSize);
  const filter = filterParams(query);
  const link = (n: number) => `/admin/usage?${new URLSearchParams({ ...filter, page: String(n) })}`;
  return (
    <Layout page={page} title="Usage" section="Usage">
      <form method="get" class="fields" aria-label="Filter">
        <div class="field">
          <label for="key_id">Key</label>
          <select id="key_id" name="key_id">
            <option value="">any</option>
            {keys.map((k) => (
              <option value={k.id} selected={k.id === query.key_id}>{k.name}</option>
            ))}
          </select>
        </div>
        <div class="field"><label for="model">Model</label><input id="model" name="model" value={query.model ?? ""} /></div>
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            {["", "ok", "error"].map((s) => (
              <option value={s} selected={s === (query.status ?? "")}>{s || "any"}</option>
            ))}
          </select>
        </div>
        <div class="field"><label for="from">From (UTC)</label><input id="from" name="from" type="datetime-local" value={query.from?.slice(0, 16) ?? ""} /></div>
        <div class="field"><label for="to">To (UTC)</label><input id="to" name="to" type="datetime-local" value={query.to?.slice(0, 16) ?? ""} /></div>
        <div class="field"><button type="submit">Filter</button></div>
      </form>
      <p>
        {records.length} requests. <a href={`/admin/usage.csv?${new URLSearchParams(filter)}`} download="usage.csv">Export CSV</a>
      </p>
      <RequestsTable records={shown} keyNames={new Map(keys.map((k) => [k.id, k.name]))} />
      <nav aria-label="Pages" class="inline">
        {query.page > 1 && <a href={link(query.page - 1)} rel="prev">Previous page</a>} <span>Page {query.page} of {Math.max(1, Math.ceil(records.length / pageSize))}</span>{" "}
        {query.page * pageSize < records.length && <a href={link(query.page + 1)} rel="next">Next page</a>}
      </nav>
    </Layout>
  );
}

function filterParams(query: LogFilter): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== "" && entry[0] !== "page"));
}

const csvColumns = ["created_at", "request_id", "key_id", "requested_model", "resolved_model", "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "cost_usd", "status", "error_type", "latency_ms", "time_to_first_token_ms", "service_tier"] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function usageCsv(records: readonly UsageRecord[]): string {
  const field = (value: unknown) => {
    const text = value === null ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [csvColumns.join(","), ...records.map((r) => csvColumns.map((c) => field(r[c])).join(","))].join("\r\n") + "\r\n";
}
