/** @jsxImportSource hono/jsx */
import type { KeyWithSecret } from "../../gateway/keys/service.ts";
import { Layout, Notice, type PageContext } from "../components.tsx";

/** A new or rotated key's secret: shown on this one answer, never again (the store keeps only its hash). */
export function secretPage(issued: KeyWithSecret, how: "created" | "rotated", page: PageContext) {
  const { key } = issued;
  return (
    <Layout page={page} title={`Key ${how}: ${key.name}`} section="Keys">
      <Notice>Copy the secret now: it is shown this once and cannot be shown again.</Notice>
      <div class="secret">
        <code id="secret">{issued.secret}</code>
        <button type="button" data-copy="secret">Copy</button>
      </div>
      <p>
        <a href={`/admin/keys/${encodeURIComponent(key.id)}`}>Go to the key</a>
      </p>
    </Layout>
  );
}
