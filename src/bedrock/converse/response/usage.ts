import type { TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { Usage } from "../../../anthropic/messages.ts";

/**
 * Bedrock's usage in Anthropic's terms. Bedrock's `inputTokens` already excludes cached tokens, as
 * Anthropic's `input_tokens` does (captures show totalTokens = input + output + cacheRead + cacheWrite),
 * so the numbers map one to one (docs/bedrock-protocol.md#p17-cache-usage). `inputTokensFallback` stands in when Bedrock sent no count.
 */
export function fromBedrockUsage(usage: TokenUsage | undefined, inputTokensFallback = 0): Usage {
  return {
    input_tokens: usage?.inputTokens ?? inputTokensFallback,
    output_tokens: usage?.outputTokens ?? 0,
    cache_creation_input_tokens: usage?.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: usage?.cacheReadInputTokens ?? 0,
  };
}
