import type { Usage } from "../../anthropic/messages.ts";
import type { Logger } from "../../../lib/log.ts";
import type { ModelPrice, PricingStore } from "./model-price.ts";
import type { ServiceTier } from "../../bedrock/service-tier.ts";
import type { StoreOutage } from "../store-outage.ts";

const refreshMs = 30_000;

/**
 * The price of a request: tokens × the model's USD per million, times the tier's multiplier.
 * Prices are read from the store and kept for a while (an operator's edit reaches this replica at
 * once through `reload`, the others within `refreshMs`). A model without a price costs 0 and is
 * logged once, so the gap is visible rather than silently billed wrong. While the store cannot be
 * read, the prices last read serve for as long as it lasts: a request Bedrock already answered is
 * priced, never failed, and the outage is logged once, by `StoreOutage`.
 */
export class PriceBook {
  private prices = new Map<string, ModelPrice>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly unpriced = new Set<string>();

  constructor(
    private readonly store: PricingStore,
    private readonly outage: StoreOutage,
    private readonly log: Logger,
  ) {}

  async cost(modelId: string, usage: Usage, tier: ServiceTier): Promise<number> {
    const price = await this.priceOf(modelId);
    if (!price) return 0;
    const perMillion =
      usage.input_tokens * price.input_usd_per_mtok +
      usage.output_tokens * price.output_usd_per_mtok +
      usage.cache_read_input_tokens * price.cache_read_usd_per_mtok +
      usage.cache_creation_input_tokens * price.cache_write_usd_per_mtok;
    return (perMillion / 1_000_000) * price.tier_multipliers[tier];
  }

  /**
   * The most a request can cost: every input token at the dearer of the input and cache-write prices,
   * `maxTokens` of output, on the dearer of its tier and `default` (a refused tier falls back to it).
   */
  async worstCase(modelId: string, inputTokens: number, maxTokens: number, tier: ServiceTier): Promise<number> {
    const price = await this.priceOf(modelId);
    if (!price) return 0;
    const perMillion = inputTokens * Math.max(price.input_usd_per_mtok, price.cache_write_usd_per_mtok) + maxTokens * price.output_usd_per_mtok;
    return (perMillion / 1_000_000) * Math.max(price.tier_multipliers[tier], price.tier_multipliers.default);
  }

  reload(): Promise<void> {
    this.loading ??= this.outage
      .watch(this.store.listPrices())
      .then((rows) => {
        this.prices = new Map(rows.map((row) => [row.model_id, row]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async priceOf(modelId: string): Promise<ModelPrice | undefined> {
    // A failed refresh is the outage's to log; the prices last read serve meanwhile.
    if (Date.now() - this.loadedAt > refreshMs && this.outage.mayCall()) await this.reload().catch(() => undefined);
    const price = this.prices.get(modelId);
    if (!price && !this.unpriced.has(modelId)) {
      this.log.warn("no price for model: its usage costs 0", { model: modelId });
      this.unpriced.add(modelId);
    }
    return price;
  }
}
