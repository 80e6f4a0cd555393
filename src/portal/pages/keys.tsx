/** @jsxImportSource hono/jsx */
import type { Store } from "../../gateway/store.ts";
import type { KeyStatus } from "../../gateway/keys/api-key.ts";
import { keyStatusSchema } from "../../gateway/keys/api-key.ts";
import { utcMonth } from "../../gateway/values.ts";
import { CsrfField, type FieldErrors, FilterSelect, formatTime, formatUsd, Layout, type PageContext } from "../components.tsx";
import { KeyFields } from "./key-fields.tsx";

export interface KeysQuery {
  q: string;
  status: KeyStatus | undefined;
}

/** Keys with search and status filter, this month's spend against budget, and the create form. */
export async function keysPage(store: Store, query: KeysQuery, now: Date, page: PageContext, form: { values: Record<string, string>; errors: FieldErrors } = { values: {}, errors: {} }) {
  const needle = query.q.toLowerCase();
  const keys = (await store.listKeys(query.status ? { status: query.status } : {})).filter((k) =>
    [k.id, k.name, k.owner, k.key_prefix].some((field) => field.toLowerCase().includes(needle)),
  );
  // One read for every key's spend, not one per key.
  const spendOf = new Map((await store.topMonthSpend(utcMonth(now), Number.MAX_SAFE_INTEGER)).map((s) => [s.key_id, s.spend_usd]));
  return (
    <Layout page={page} title="Keys" section="Keys">
      <form method="get" class="inline" role="search">
        <label for="q">Search</label>
        <input id="q" name="q" type="search" value={query.q} placeholder="name, id, owner, prefix" />
        <FilterSelect name="status" label="Status" value={query.status} options={keyStatusSchema.options} />
        <button type="submit">Filter</button>
      </form>
      <div class="table-wrap">
        <table aria-label="Keys">
          <thead>
            <tr><th>Name</th><th>Prefix</th><th>Owner</th><th>Status</th><th class="num">Spend this month</th><th class="num">Budget</th><th>Last used</th></tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td><a href={`/admin/keys/${encodeURIComponent(k.id)}`}>{k.name}</a></td>
                <td><code>{k.key_prefix}</code></td>
                <td>{k.owner}</td>
                <td class={`status-${k.status}`}>{k.status}</td>
                <td class={`num${k.monthly_budget_usd !== null && (spendOf.get(k.id) ?? 0) >= k.monthly_budget_usd ? " over" : ""}`}>{formatUsd(spendOf.get(k.id) ?? 0)}</td>
                <td class="num">{k.monthly_budget_usd === null ? "—" : formatUsd(k.monthly_budget_usd)}</td>
                <td>{formatTime(k.last_used_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="create">Create a key</h2>
      <form method="post" action="/admin/keys" aria-labelledby="create">
        <CsrfField page={page} />
        <KeyFields values={form.values} errors={form.errors} />
        <button type="submit">Create key</button>
      </form>
    </Layout>
  );
}
