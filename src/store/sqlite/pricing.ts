import type { Database } from "bun:sqlite";
import { type FlatModelPrice, flattenPrice, type ModelPrice, modelPriceSchema, type PricingStore, unflattenPrice } from "../../gateway/pricing/model-price.ts";
import type { Bindings } from "./database.ts";

const columns =
  "model_id, input_usd_per_mtok, output_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok, tier_default, tier_flex, tier_priority, tier_reserved, source, updated_at";
const values =
  "$model_id, $input_usd_per_mtok, $output_usd_per_mtok, $cache_read_usd_per_mtok, $cache_write_usd_per_mtok, $tier_default, $tier_flex, $tier_priority, $tier_reserved, $source, $updated_at";
const assignments = `input_usd_per_mtok = excluded.input_usd_per_mtok, output_usd_per_mtok = excluded.output_usd_per_mtok,
  cache_read_usd_per_mtok = excluded.cache_read_usd_per_mtok, cache_write_usd_per_mtok = excluded.cache_write_usd_per_mtok,
  tier_default = excluded.tier_default, tier_flex = excluded.tier_flex, tier_priority = excluded.tier_priority,
  tier_reserved = excluded.tier_reserved, source = excluded.source, updated_at = excluded.updated_at`;

export function sqlitePricingStore(db: Database): PricingStore {
  const byId = db.query<FlatModelPrice, { model_id: string }>(`SELECT ${columns} FROM model_prices WHERE model_id = $model_id`);
  const all = db.query<FlatModelPrice, []>(`SELECT ${columns} FROM model_prices ORDER BY model_id`);
  const upsert = db.query<null, Bindings<FlatModelPrice>>(`INSERT INTO model_prices (${columns}) VALUES (${values}) ON CONFLICT (model_id) DO UPDATE SET ${assignments}`);
  // A seed row follows the seed; an operator's row is never touched, nor a seed row already equal to it.
  const seed = db.query<null, Bindings<FlatModelPrice>>(
    `INSERT INTO model_prices (${columns}) VALUES (${values}) ON CONFLICT (model_id) DO UPDATE SET ${assignments}
     WHERE model_prices.source = 'seed' AND (model_prices.input_usd_per_mtok, model_prices.output_usd_per_mtok,
       model_prices.cache_read_usd_per_mtok, model_prices.cache_write_usd_per_mtok, model_prices.tier_default, model_prices.tier_flex,
       model_prices.tier_priority, model_prices.tier_reserved)
       IS NOT (excluded.input_usd_per_mtok, excluded.output_usd_per_mtok, excluded.cache_read_usd_per_mtok, excluded.cache_write_usd_per_mtok,
       excluded.tier_default, excluded.tier_flex, excluded.tier_priority, excluded.tier_reserved)`,
  );
  const remove = db.query<null, { model_id: string }>("DELETE FROM model_prices WHERE model_id = $model_id");

  const seedAll = db.transaction((rows: FlatModelPrice[]) => rows.reduce((written, row) => written + seed.run(row).changes, 0));

  return {
    async getPrice(modelId) {
      const row = byId.get({ model_id: modelId });
      return row ? unflattenPrice(row) : undefined;
    },
    async listPrices() {
      return all.all().map(unflattenPrice);
    },
    async putPrice(input) {
      const price: ModelPrice = { ...modelPriceSchema.parse(input), source: "operator", updated_at: new Date().toISOString() };
      upsert.run(flattenPrice(price));
      return price;
    },
    async deletePrice(modelId) {
      return remove.run({ model_id: modelId }).changes > 0;
    },
    async seedPricing(entries) {
      const updatedAt = new Date().toISOString();
      const rows = entries.map((entry) => flattenPrice({ ...modelPriceSchema.parse(entry), source: "seed", updated_at: updatedAt }));
      const written = seedAll.immediate(rows);
      return { written, kept: rows.length - written };
    },
  };
}
