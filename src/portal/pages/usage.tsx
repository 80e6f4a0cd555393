/** @jsxImportSource hono/jsx */
import type { ApiKey } from "../../gateway/keys/api-key.ts";
import type { UsageLogPage } from "../../gateway/usage/usage-queries.ts";
import { FilterSelect, Layout, type PageContext } from "../components.tsx";
import { RequestsTable } from "./requests-table.tsx";

/** The log's filters as the page's form and links carry them (times as the form's UTC minutes). */
export interface UsageFilter {
  key_id?: string | undefined;
  model?: string | undefined;
  status?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const statuses = ["error", "200", "400", "401", "403", "404", "413", "429", "500", "529"];

/**
 * The request log, filterable by key, model, status and time, a page at a time (newest first, by
 * the log's cursor); its CSV export is the admin API's (GET /admin/api/usage/requests.csv, which the
 * session opens too) with the same filter.
 */
export function usagePage(log: UsageLogPage, keys: readonly ApiKey[], filter: UsageFilter, paged: boolean, page: PageContext) {
  const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const apiParams = new URLSearchParams([...params].map(([name, value]) => [name, name === "from" || name === "to" ? `${value}:00Z` : value]));
  return (
    <Layout page={page} title="Usage" section="Usage">
      <form method="get" class="fields" aria-label="Filter">
        <div class="field">
          <label for="key_id">Key</label>
          <select id="key_id" name="key_id">
            <option value="">any</option>
            {keys.map((k) => (
              <option value={k.id} selected={k.id === filter.key_id}>{k.name}</option>
            ))}
          </select>
        </div>
        <div class="field"><label for="model">Model (Bedrock id)</label><input id="model" name="model" value={filter.model ?? ""} /></div>
        <div class="field">
          <FilterSelect name="status" label="Status" value={filter.status} options={statuses} />
        </div>
        <div class="field"><label for="from">From (UTC)</label><input id="from" name="from" type="datetime-local" value={filter.from ?? ""} /></div>
        <div class="field"><label for="to">To (UTC)</label><input id="to" name="to" type="datetime-local" value={filter.to ?? ""} /></div>
        <div class="field"><button type="submit">Filter</button></div>
      </form>
      <p>
        <a href={`/admin/api/usage/requests.csv?${apiParams}`} download="usage.csv">Export CSV</a> (every request the filter matches)
      </p>
      <RequestsTable records={log.data} keyNames={new Map(keys.map((k) => [k.id, k.name]))} />
      <nav aria-label="Pages" class="inline">
        {paged && <a href={`/admin/usage?${params}`}>First page</a>}{" "}
        {log.next_cursor && <a href={`/admin/usage?${new URLSearchParams([...params, ["cursor", log.next_cursor]])}`} rel="next">Next page</a>}
      </nav>
    </Layout>
  );
}
