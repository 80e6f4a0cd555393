/** @jsxImportSource hono/jsx */
import type { ModelAlias } from "../../gateway/model-alias.ts";
import { CsrfField, Field, type FieldErrors, formatTime, Layout, type PageContext } from "../components.tsx";

export interface AliasForm {
  values: Record<string, string>;
  errors: FieldErrors;
}

/** The operator's model aliases (applied after a key's own): list, set, delete. */
export function aliasesPage(aliases: readonly ModelAlias[], page: PageContext, form: AliasForm = { values: {}, errors: {} }) {
  return (
    <Layout page={page} title="Model aliases" section="Model aliases">
      <div class="table-wrap">
        <table aria-label="Model aliases">
          <thead><tr><th>Alias</th><th>Bedrock model id</th><th>Updated</th><th></th></tr></thead>
          <tbody>
            {aliases.map((a) => (
              <tr>
                <td>{a.alias}</td>
                <td>{a.model_id}</td>
                <td>{formatTime(a.updated_at)}</td>
                <td>
                  <form method="post" action="/admin/aliases/delete" class="inline">
                    <CsrfField page={page} />
                    <input type="hidden" name="alias" value={a.alias} />
                    <button type="submit" class="danger" aria-label={`Delete alias ${a.alias}`}>Delete</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="set">Set an alias</h2>
      <form method="post" action="/admin/aliases" aria-labelledby="set">
        <CsrfField page={page} />
        <div class="fields">
          <Field name="alias" label="Alias" value={form.values.alias} errors={form.errors} required />
          <Field name="model_id" label="Bedrock model id" value={form.values.model_id} errors={form.errors} required />
        </div>
        <button type="submit">Save alias</button>
      </form>
    </Layout>
  );
}
