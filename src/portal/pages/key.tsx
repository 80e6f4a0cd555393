/** @jsxImportSource hono/jsx */
import type { ApiKey } from "../../gateway/keys/api-key.ts";
import type { Store } from "../../gateway/store.ts";
import { Chart, CsrfField, type FieldErrors, formatCount, formatTime, formatUsd, Layout, type PageContext } from "../components.tsx";
import { keyFormValues } from "../key-form.ts";
import { bucketStarts, seriesBy, windowOf } from "../usage-data.ts";
import { KeyFields } from "./key-fields.tsx";
import { RequestsTable } from "./requests-table.tsx";

export interface KeyPageState {
  /** The edit form as sent, when it was refused. */
  values?: Record<string, string>;
  errors?: FieldErrors;
}

/** One key: its settings form, status actions, usage over 30 days, recent requests and spend by month. */
export async function keyPage(store: Store, key: ApiKey, now: Date, page: PageContext, state: KeyPageState = {}) {
  const window = windowOf("30d", "day", now);
  const starts = bucketStarts(window);
  const [rollups, recent, spend] = await Promise.all([store.queryRollups({ ...window, key_id: key.id }), store.latestUsage(key.id, 20), store.listMonthSpend(key.id)]);
  const action = `/admin/keys/${encodeURIComponent(key.id)}`;
  return (
    <Layout page={page} title={`Key: ${key.name}`} section="Keys">
      <dl class="stats">
        <div><dt>Id</dt><dd><code>{key.id}</code></dd></div>
        <div><dt>Prefix</dt><dd><code>{key.key_prefix}</code></dd></div>
        <div><dt>Status</dt><dd class={`status-${key.status}`} data-key-status>{key.status}{key.status_reason && ` (${key.status_reason})`}</dd></div>
        <div><dt>Created</dt><dd>{formatTime(key.created_at)}</dd></div>
        <div><dt>Last used</dt><dd>{formatTime(key.last_used_at)}</dd></div>
      </dl>

      <div class="charts">
        <Chart title="Requests per day" data={seriesBy(rollups, starts, (r) => r.model, (r) => r.requests)} />
        <Chart title="Cost per day (USD)" data={seriesBy(rollups, starts, (r) => r.model, (r) => r.cost_usd)} />
      </div>

      <h2 id="settings">Settings</h2>
      <form method="post" action={action} aria-labelledby="settings">
        <CsrfField page={page} />
        <KeyFields values={state.values ?? keyFormValues(key)} errors={state.errors ?? {}} />
        <button type="submit">Save settings</button>
      </form>

      {key.status !== "revoked" && <StatusActions action={action} key_={key} page={page} />}

      <h2>Recent requests</h2>
      <RequestsTable records={recent} />

      <h2>Spend by month</h2>
      <div class="table-wrap">
        <table aria-label="Spend by month">
          <thead><tr><th>Month</th><th class="num">Spend</th></tr></thead>
          <tbody>
            {spend.map((m) => (
              <tr><td>{m.month}</td><td class="num">{formatUsd(m.spend_usd)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>{formatCount(recent.length)} recent requests shown; the full log is on the <a href={`/admin/usage?key_id=${encodeURIComponent(key.id)}`}>usage page</a>.</p>
    </Layout>
  );
}

function StatusActions(props: { action: string; key_: ApiKey; page: PageContext }) {
  const { action, key_: key, page } = props;
  const next = key.status === "active" ? "disabled" : "active";
  return (
    <>
      <h2>Status</h2>
      <form method="post" action={`${action}/status`} class="inline">
        <CsrfField page={page} />
        <input type="hidden" name="status" value={next} />
        <label for="status-reason">Reason</label>
        <input id="status-reason" name="reason" />
        <button type="submit">{next === "disabled" ? "Disable" : "Enable"}</button>
      </form>
      <form method="post" action={`${action}/rotate`} class="inline">
        <CsrfField page={page} />
        <button type="submit">Rotate secret</button>
      </form>
      <form method="post" action={`${action}/revoke`} class="inline">
        <CsrfField page={page} />
        <label for="revoke-reason">Revoke reason</label>
        <input id="revoke-reason" name="reason" />
        <button type="submit" class="danger">Revoke</button>
      </form>
    </>
  );
}
