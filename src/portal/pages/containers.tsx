/** @jsxImportSource hono/jsx */
import type { ContainerRecord } from "../../ptc/containers/container-store.ts";
import { formatTime, Layout, Notice, type PageContext } from "../components.tsx";

/** Live PTC containers by key, with their age and expiry; PTC off (no SANDBOX_URL) says so. */
export function containersPage(containers: readonly ContainerRecord[] | undefined, keyNames: ReadonlyMap<string, string>, now: Date, page: PageContext) {
  return (
    <Layout page={page} title="PTC containers" section="PTC containers">
      {containers === undefined ? (
        <Notice>Programmatic tool calling is off on this proxy (SANDBOX_URL is not set).</Notice>
      ) : (
        <div class="table-wrap">
          <table aria-label="Live containers">
            <thead><tr><th>Key</th><th>Container</th><th>Age</th><th>Expires (UTC)</th><th>State</th></tr></thead>
            <tbody>
              {[...containers].sort((a, b) => a.owner.localeCompare(b.owner)).map((c) => (
                <tr>
                  <td>{keyNames.get(c.owner) ?? c.owner}</td>
                  <td><code>{c.id}</code></td>
                  <td>{c.createdAt ? duration(now.getTime() - Date.parse(c.createdAt)) : "—"}</td>
                  <td>{formatTime(c.expiresAt)}</td>
                  <td>{c.paused ? `paused: waits for ${c.paused.calls.map((call) => call.name).join(", ")}` : "idle"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
