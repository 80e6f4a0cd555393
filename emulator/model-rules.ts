import { acceptedBetas } from "../src/bedrock/betas.ts";
import { profileFor } from "../src/bedrock/models.ts";

/**
 * What Bedrock allows per model. The limits and capabilities come from the proxy's own model table
 * and beta list, so the emulator and the proxy cannot drift apart on them.
 */

/** Models without a published output limit still get a finite one, as Bedrock always has one. */
const fallbackMaxOutputTokens = 65_536;

/** Tool names and tool-use ids, on both APIs. */
export const bedrockIdPattern = /^[a-zA-Z0-9_-]{1,64}$/;

export function isClaude(modelId: string): boolean {
  return /anthropic\.claude/.test(modelId);
}

export function maxOutputTokens(modelId: string): number {
  return profileFor(modelId).maxOutputTokens ?? fallbackMaxOutputTokens;
}

/** Bedrock's words when max tokens exceed the model (Converse). */
export function maxTokensExceeded(limit: number): string {
  return `The maximum tokens you requested exceeds the model limit of ${limit}. Try again with a maximum tokens value that is lower than ${limit}.`;
}

/** `anthropic_beta` must be a list of flags this model accepts; anything else is Bedrock's terse "invalid beta flag". */
export function betaFlagViolation(modelId: string, betas: unknown): string | null {
  if (betas === undefined) return null;
  const accepted = acceptedBetas(modelId);
  const valid = Array.isArray(betas) && betas.every((beta) => typeof beta === "string" && accepted.has(beta));
  return valid ? null : "invalid beta flag";
}

const serviceTiers = ["default", "flex", "priority", "reserved"];
/** Bedrock serves Anthropic's models on the default and reserved tiers only. */
const tiersAnthropicLacks = ["flex", "priority"];

/** The tier of a request (Converse: `serviceTier.type`; InvokeModel: the X-Amzn-Bedrock-Service-Tier header). */
export function serviceTierViolation(modelId: string, tier: string | undefined): string | null {
  if (tier === undefined) return null;
  if (!serviceTiers.includes(tier)) return "The service tier provided is invalid.";
  return isClaude(modelId) && tiersAnthropicLacks.includes(tier) ? "The provided service tier is not supported for this model." : null;
}
