import type { Usage } from "../../anthropic/messages.ts";
import type { Logger } from "../../log.ts";
import type { ModelPrice, PricingStore, ServiceTier } from "../../store/types.ts";

const refreshMs = 30_000;

/**
 * The price of a request: tokens × the model's USD per million, times the tier's multiplier.
 * Prices are read from the store and kept for a while (an operator's edit reaches this replica at
 * once through `reload`, the others within `refreshMs`). A model without a price costs 0 and is
 * logged once, so the gap is visible rather than silently billed wrong.
 */
export class PriceBook {
  private prices = new Map<string, ModelPrice>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly unpriced = new Set<string>();

  constructor(
    private readonly store: PricingStore,
    private readonly log: Logger,
  ) {}

  async cost(modelId: string, usage: Usage, tier: ServiceTier): Promise<number> {
    // A store that cannot be read must not fail a request that Bedrock already answered: the
    // prices last read serve until it answers again.
    if (Date.now() - this.loadedAt > refreshMs) await this.reload().catch((error: unknown) => this.log.warn("could not refresh prices", { error }));
    const price = this.prices.get(modelId);
    if (!price) {
      if (!this.unpriced.has(modelId)) this.log.warn("no price for model: its usage costs 0", { model: modelId });
      this.unpriced.add(modelId);
      return 0;
    }
    const perMillion =
      usage.input_tokens * price.input_usd_per_mtok +
      usage.output_tokens * price.output_usd_per_mtok +
      usage.cache_read_input_tokens * price.cache_read_usd_per_mtok +
      usage.cache_creation_input_tokens * price.cache_write_usd_per_mtok;
    return (perMillion / 1_000_000) * price.tier_multipliers[tier];
  }

  reload(): Promise<void> {
    this.loading ??= this.store
      .listPrices()
      .then((rows) => {
        this.prices = new Map(rows.map((row) => [row.model_id, row]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
