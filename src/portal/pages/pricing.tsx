/** @jsxImportSource hono/jsx */
import type { ModelPrice } from "../../gateway/pricing/model-price.ts";
import { CsrfField, Field, type FieldErrors, formatTime, Layout, type PageContext } from "../components.tsx";

const priceFields = [
  ["input_usd_per_mtok", "Input"],
  ["output_usd_per_mtok", "Output"],
  ["cache_read_usd_per_mtok", "Cache read"],
  ["cache_write_usd_per_mtok", "Cache write"],
] as const;
const tiers = ["default", "flex", "priority", "reserved"] as const;

export interface PricingForm {
  values: Record<string, string>;
  errors: FieldErrors;
}

/** Every model's prices (USD per million tokens) with a form to set one; a price the form refused shows its errors. */
export function pricingPage(prices: readonly ModelPrice[], page: PageContext, form: PricingForm = { values: {}, errors: {} }) {
  return (
    <Layout page={page} title="Pricing" section="Pricing">
      <div class="table-wrap">
        <table aria-label="Prices">
          <thead>
            <tr><th>Model</th>{priceFields.map(([, label]) => <th class="num">{label}</th>)}<th>Tier multipliers</th><th>Source</th><th>Updated</th><th></th></tr>
          </thead>
          <tbody>
            {prices.map((p) => (
              <tr>
                <td>{p.model_id}</td>
                {priceFields.map(([field]) => <td class="num">{p[field]}</td>)}
                <td>{tiers.map((t) => `${t} ×${p.tier_multipliers[t]}`).join(", ")}</td>
                <td>{p.source}</td>
                <td>{formatTime(p.updated_at)}</td>
                <td><a href={`/admin/pricing?model_id=${encodeURIComponent(p.model_id)}#edit`}>Edit</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="edit">Set a price (USD per million tokens)</h2>
      <form method="post" action="/admin/pricing" aria-labelledby="edit">
        <CsrfField page={page} />
        <div class="fields">
          <Field name="model_id" label="Bedrock model id" value={form.values.model_id} errors={form.errors} required />
          {priceFields.map(([field, label]) => <Field name={field} label={label} value={form.values[field]} errors={form.errors} />)}
          {tiers.map((t) => <Field name={`tier_${t}`} label={`Tier multiplier: ${t}`} value={form.values[`tier_${t}`] ?? "1"} errors={form.errors} />)}
        </div>
        <button type="submit">Save price</button>
      </form>
    </Layout>
  );
}

/** The form's values for a stored price. */
export function priceFormValues(price: ModelPrice): Record<string, string> {
  const values: Record<string, string> = { model_id: price.model_id };
  for (const [field] of priceFields) values[field] = String(price[field]);
  for (const t of tiers) values[`tier_${t}`] = String(price.tier_multipliers[t]);
  return values;
}

/** The price the form describes, for `modelPriceSchema` to validate. */
export function priceFromForm(values: Record<string, string>) {
  const number = (name: string) => (values[name]?.trim() ? Number(values[name]) : undefined);
  return {
    model_id: values.model_id?.trim() ?? "",
    input_usd_per_mtok: number("input_usd_per_mtok"),
    output_usd_per_mtok: number("output_usd_per_mtok"),
    cache_read_usd_per_mtok: number("cache_read_usd_per_mtok"),
    cache_write_usd_per_mtok: number("cache_write_usd_per_mtok"),
    tier_multipliers: Object.fromEntries(tiers.map((t) => [t, number(`tier_${t}`)])),
  };
}
