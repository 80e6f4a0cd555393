import { z } from "zod";
import { modelIdSchema } from "../../bedrock/model-id.ts";
import { usdSchema } from "../values.ts";

/** The price of a Bedrock model, its multipliers per service tier, and what a store of prices must do. */

/** Price multipliers per service tier, applied to every token price. */
export const tierMultipliersSchema = z.strictObject({
  default: z.number().positive(),
  flex: z.number().positive(),
  priority: z.number().positive(),
  reserved: z.number().positive(),
});
export type TierMultipliers = z.infer<typeof tierMultipliersSchema>;

/** Prices of one Bedrock model id, in USD per million tokens. */
export const modelPriceSchema = z.strictObject({
  model_id: modelIdSchema,
  input_usd_per_mtok: usdSchema,
  output_usd_per_mtok: usdSchema,
  cache_read_usd_per_mtok: usdSchema,
  cache_write_usd_per_mtok: usdSchema,
  tier_multipliers: tierMultipliersSchema,
});
export type ModelPriceInput = z.input<typeof modelPriceSchema>;

/** `seed` rows come from `pricing-seed.ts` and follow it; `operator` rows were edited and stay as edited. */
export const priceSourceSchema = z.enum(["seed", "operator"]);
export type PriceSource = z.infer<typeof priceSourceSchema>;

export interface ModelPrice extends z.infer<typeof modelPriceSchema> {
  source: PriceSource;
  updated_at: string;
}

/** A price as both stores keep it: the tier multipliers as four columns (attributes) of their own. */
export interface FlatModelPrice extends Omit<ModelPrice, "tier_multipliers"> {
  tier_default: number;
  tier_flex: number;
  tier_priority: number;
  tier_reserved: number;
}

export function flattenPrice({ tier_multipliers: tiers, ...price }: ModelPrice): FlatModelPrice {
  return { ...price, tier_default: tiers.default, tier_flex: tiers.flex, tier_priority: tiers.priority, tier_reserved: tiers.reserved };
}

export function unflattenPrice({ tier_default, tier_flex, tier_priority, tier_reserved, ...price }: FlatModelPrice): ModelPrice {
  return { ...price, tier_multipliers: { default: tier_default, flex: tier_flex, priority: tier_priority, reserved: tier_reserved } };
}

export interface SeedResult {
  /** Rows inserted, or seed rows brought up to the new seed. */
  written: number;
  /** Rows left alone: edited by an operator, or already equal to the seed. */
  kept: number;
}

export interface PricingStore {
  getPrice(modelId: string): Promise<ModelPrice | undefined>;
  /** Ordered by model id. */
  listPrices(): Promise<ModelPrice[]>;
  /** An operator's edit: the row becomes `operator` and the seed no longer touches it. */
  putPrice(input: ModelPriceInput): Promise<ModelPrice>;
  deletePrice(modelId: string): Promise<boolean>;
  /** Inserts missing rows and refreshes `seed` rows; never overwrites an operator's edit. */
  seedPricing(entries: readonly ModelPriceInput[]): Promise<SeedResult>;
}
