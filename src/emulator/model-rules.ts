import { acceptedBetas } from "../bedrock/betas.ts";
import { profileFor } from "../bedrock/models.ts";

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
