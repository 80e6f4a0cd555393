import { z } from "zod";

/**
 * The InvokeModel body for Claude: the Anthropic Messages body with `anthropic_version`, as Bedrock
 * reads it. Only what the emulator's rules and answers need is typed; blocks stay loose.
 */

/**
 * The top-level keys Bedrock takes for Claude. `metadata` is Anthropic's, limited to `user_id`
 * (Claude Code sends it); `output_config.effort` and `.format` are checked per model by the rules.
 */
export const invokeKeys = [
  "anthropic_version",
  "anthropic_beta",
  "max_tokens",
  "messages",
  "system",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "context_management",
  "metadata",
] as const;

export const requiredInvokeKeys = ["anthropic_version", "max_tokens", "messages"] as const;

const textish = z.looseObject({ type: z.string(), text: z.string().optional() });

const block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  thinking: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.union([z.string(), z.array(textish)]).optional(),
});

const probability = z.number().min(0).max(1);

export const invokeBodySchema = z.looseObject({
  anthropic_version: z.string(),
  anthropic_beta: z.unknown().optional(),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: z.union([z.string(), z.array(block)]) })),
  system: z.union([z.string(), z.array(textish)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: probability.optional(),
  top_p: probability.optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(z.looseObject({ name: z.string(), type: z.string().nullish(), strict: z.boolean().optional() })).optional(),
  tool_choice: z.looseObject({ type: z.string() }).optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().optional(), display: z.unknown().optional() }).optional(),
  output_config: z
    .looseObject({ effort: z.string().optional(), format: z.looseObject({ type: z.literal("json_schema"), schema: z.unknown() }).optional() })
    .optional(),
  context_management: z.looseObject({}).optional(),
  metadata: z.strictObject({ user_id: z.string().nullish() }).optional(),
});

export type InvokeBody = z.infer<typeof invokeBodySchema>;
export type InvokeMessage = InvokeBody["messages"][number];
export type InvokeBlock = z.infer<typeof block>;
