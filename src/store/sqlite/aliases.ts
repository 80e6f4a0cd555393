import type { Database } from "bun:sqlite";
import { type AliasStore, type ModelAlias, modelAliasSchema } from "../../gateway/model-alias.ts";
import type { Bindings } from "./database.ts";

export function sqliteAliasStore(db: Database): AliasStore {
  const byAlias = db.query<ModelAlias, { alias: string }>("SELECT alias, model_id, updated_at FROM model_aliases WHERE alias = $alias");
  const all = db.query<ModelAlias, []>("SELECT alias, model_id, updated_at FROM model_aliases ORDER BY alias");
  const upsert = db.query<null, Bindings<ModelAlias>>(
    `INSERT INTO model_aliases (alias, model_id, updated_at) VALUES ($alias, $model_id, $updated_at)
     ON CONFLICT (alias) DO UPDATE SET model_id = excluded.model_id, updated_at = excluded.updated_at`,
  );
  const remove = db.query<null, { alias: string }>("DELETE FROM model_aliases WHERE alias = $alias");

  return {
    async getAlias(alias) {
      return byAlias.get({ alias }) ?? undefined;
    },
    async listAliases() {
      return all.all();
    },
    async putAlias(input) {
      const alias: ModelAlias = { ...modelAliasSchema.parse(input), updated_at: new Date().toISOString() };
      upsert.run(alias);
      return alias;
    },
    async deleteAlias(alias) {
      return remove.run({ alias }).changes > 0;
    },
  };
}
