import type { ModelPriceInput, TierMultipliers } from "../gateway/pricing/model-price.ts";
import { roundUsd } from "../gateway/values.ts";

/**
 * The price table a new store starts with (`store.seedPricing(pricingSeed)` on every start: missing
 * rows are added and seed rows follow this file; a row an operator edited is never touched).
 *
 * Source: Amazon Bedrock's public on-demand price list (https://aws.amazon.com/bedrock/pricing/),
 * standard tier, US East (N. Virginia), USD per million tokens, as the figures stood in late 2025.
 * They were NOT re-checked against the live page when this table was written (2026-11-25): verify
 * them, and correct any row through the pricing API (an edit survives every later seeding).
 *
 * - Claude 4.5 and later (Opus 4.5/4.6, Sonnet 4.5/4.6, Haiku 4.5): the `global.` inference profile is
 *   the base price; in-region and geographic profiles (`us.`, `eu.`, `apac.`, `jp.`, and the bare
 *   foundation id) cost 10% more, as AWS prices them from Sonnet 4.5 on. Older models cost the same
 *   everywhere.
 * - Claude prompt caching: a 5-minute cache write costs 1.25× input, a cache read 0.1× input.
 * - Amazon Nova: cache reads are 0.25× input (the 75% discount Bedrock lists). Cache writes are priced
 *   as ordinary input: an assumption (the price list shows no separate cache-write price).
 * - Models without prompt caching (Qwen3, DeepSeek, gpt-oss) carry their input price for cache reads
 *   and writes, so a token is never free whatever a response reports.
 */

/**
 * Service-tier multipliers. Flex 0.5 and priority 1.75: the ratios Bedrock's price list shows for the
 * models that offer both tiers (e.g. gpt-oss-120b, Qwen3, Nova Pro: flex half the standard price,
 * priority standard + 75%), applied to every model as an assumption where a model lists no tier
 * prices (Claude on Bedrock offers neither tier). Reserved 1: reserved capacity is billed per
 * reservation, not per token, so usage under it is costed at standard rates (an assumption).
 */
export const defaultTierMultipliers: TierMultipliers = { default: 1, flex: 0.5, priority: 1.75, reserved: 1 };

interface Prices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Claude's cache prices follow from the input price. */
const claude = (input: number, output: number): Prices => ({ input, output, cacheRead: input * 0.1, cacheWrite: input * 1.25 });
const nova = (input: number, output: number): Prices => ({ input, output, cacheRead: input * 0.25, cacheWrite: input });
const uncached = (input: number, output: number): Prices => ({ input, output, cacheRead: input, cacheWrite: input });

/** Geographic inference-profile prefixes; the bare id is the in-region foundation model. */
const geographies = ["", "us.", "eu.", "apac.", "jp."];
/** The premium on in-region and geographic endpoints of Claude 4.5 and later. */
const regionalPremium = 1.1;

function entry(modelId: string, prices: Prices, scale = 1): ModelPriceInput {
  // Rounded as the stores keep money: 3 × 1.1 must read 3.3, not 3.3000000000000003.
  const usd = (value: number) => roundUsd(value * scale);
  return {
    model_id: modelId,
    input_usd_per_mtok: usd(prices.input),
    output_usd_per_mtok: usd(prices.output),
    cache_read_usd_per_mtok: usd(prices.cacheRead),
    cache_write_usd_per_mtok: usd(prices.cacheWrite),
    tier_multipliers: defaultTierMultipliers,
  };
}

/** A Claude 4.5+ model: `global.` at the base price, every other endpoint at the regional premium. */
function claudeGlobal(foundationId: string, prices: Prices): ModelPriceInput[] {
  return [entry(`global.${foundationId}`, prices), ...geographies.map((prefix) => entry(`${prefix}${foundationId}`, prices, regionalPremium))];
}

/** A model priced the same on every endpoint it is served from. */
function everywhere(foundationId: string, prices: Prices, prefixes: readonly string[]): ModelPriceInput[] {
  return prefixes.map((prefix) => entry(`${prefix}${foundationId}`, prices));
}

export const pricingSeed: readonly ModelPriceInput[] = [
  // Anthropic Claude
  ...claudeGlobal("anthropic.claude-opus-4-6-v1", claude(5, 25)),
  ...claudeGlobal("anthropic.claude-opus-4-5-20251101-v1:0", claude(5, 25)),
  ...everywhere("anthropic.claude-opus-4-1-20250805-v1:0", claude(15, 75), ["", "us."]),
  ...everywhere("anthropic.claude-opus-4-20250514-v1:0", claude(15, 75), ["", "us."]),
  ...claudeGlobal("anthropic.claude-sonnet-4-6", claude(3, 15)),
  ...claudeGlobal("anthropic.claude-sonnet-4-5-20250929-v1:0", claude(3, 15)),
  ...everywhere("anthropic.claude-sonnet-4-20250514-v1:0", claude(3, 15), ["global.", ...geographies]),
  ...everywhere("anthropic.claude-3-7-sonnet-20250219-v1:0", claude(3, 15), ["", "us.", "eu.", "apac."]),
  ...claudeGlobal("anthropic.claude-haiku-4-5-20251001-v1:0", claude(1, 5)),
  ...everywhere("anthropic.claude-3-5-haiku-20241022-v1:0", claude(0.8, 4), ["", "us."]),
  // Amazon Nova
  ...everywhere("amazon.nova-premier-v1:0", nova(2.5, 12.5), ["", "us."]),
  ...everywhere("amazon.nova-pro-v1:0", nova(0.8, 3.2), ["", "us.", "eu.", "apac."]),
  ...everywhere("amazon.nova-lite-v1:0", nova(0.06, 0.24), ["", "us.", "eu.", "apac."]),
  ...everywhere("amazon.nova-micro-v1:0", nova(0.035, 0.14), ["", "us.", "eu.", "apac."]),
  // Qwen
  entry("qwen.qwen3-coder-480b-a35b-v1:0", uncached(0.45, 1.8)),
  entry("qwen.qwen3-coder-30b-a3b-v1:0", uncached(0.15, 0.6)),
  entry("qwen.qwen3-235b-a22b-2507-v1:0", uncached(0.22, 0.88)),
  entry("qwen.qwen3-32b-v1:0", uncached(0.15, 0.6)),
  // DeepSeek
  ...everywhere("deepseek.r1-v1:0", uncached(1.35, 5.4), ["", "us."]),
  entry("deepseek.v3-v1:0", uncached(0.58, 1.68)),
  // OpenAI open-weight models
  entry("openai.gpt-oss-120b-1:0", uncached(0.15, 0.6)),
  entry("openai.gpt-oss-20b-1:0", uncached(0.07, 0.3)),
];
