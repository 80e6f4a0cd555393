/** @jsxImportSource hono/jsx */
import { type AuditEntry, auditActionSchema, type AuditPage } from "../../gateway/audit/audit-entry.ts";
import { FilterSelect, formatTime, Layout, type PageContext, who } from "../components.tsx";

export interface AuditFilter {
  target?: string | undefined;
  action?: string | undefined;
}

/** Every admin change, newest first: who, when, what, and the fields it changed (the log never holds a secret). */
export function auditPage(log: AuditPage, filter: AuditFilter, paged: boolean, page: PageContext) {
  const params = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])));
  return (
    <Layout page={page} title="Audit log" section="Audit log">
      <form method="get" class="inline" aria-label="Filter">
        <label for="target">Target</label>
        <input id="target" name="target" value={filter.target ?? ""} placeholder="key id, model id or alias" />
        <FilterSelect name="action" label="Action" value={filter.action} options={auditActionSchema.options} />
        <button type="submit">Filter</button>
      </form>
      <div class="table-wrap">
        <table aria-label="Audit log">
          <thead><tr><th>Time (UTC)</th><th>Who</th><th>Action</th><th>Target</th><th>Changes</th></tr></thead>
          <tbody>
            {log.data.map((entry) => (
              <tr>
                <td>{formatTime(entry.at)}</td>
                <td>{who(entry.actor)}</td>
                <td>{entry.action}</td>
                <td><code>{entry.target}</code></td>
                <td class="changes">{changes(entry).map((line) => <div>{line}</div>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav aria-label="Pages" class="inline">
        {paged && <a href={`/admin/audit?${params}`}>First page</a>}{" "}
        {log.next_cursor && <a href={`/admin/audit?${new URLSearchParams([...params, ["cursor", log.next_cursor]])}`} rel="next">Next page</a>}
      </nav>
    </Layout>
  );
}

/** `field: before → after` for each field that differs (every field of a created or deleted target). */
function changes({ before, after }: AuditEntry): string[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const show = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));
  return fields.flatMap((field) => {
    const [was, is] = [show(before?.[field]), show(after?.[field])];
    return was === is ? [] : [before === null ? `${field}: ${is}` : after === null ? `${field}: ${was} (deleted)` : `${field}: ${was} → ${is}`];
  });
}
