import { z } from "zod";
import { describeIssues, type Issue } from "../lib/zod-issues.ts";
import type { ConverseWireMessage, ConverseWireRequest } from "./converse-schema.ts";
import { isClaude } from "./model-rules.ts";

/**
 * Bedrock's rules for the models other than Claude that reason: the additionalModelRequestFields each takes
 * (anything else is refused, as Bedrock refuses a field the model does not know) and whether it takes its
 * reasoning back in the history. Written from Bedrock's documentation and the errors it was seen to give,
 * on purpose apart from the proxy's own table (src/bedrock/reasoning.ts): a test through both proves the mapping.
 */

const effort = (...levels: [string, ...string[]]) => z.strictObject({ reasoning_effort: z.enum(levels).optional() });

const novaReasoning = z.strictObject({
  reasoningConfig: z
    .union([
      z.strictObject({ type: z.literal("enabled"), maxReasoningEffort: z.enum(["low", "medium", "high"]) }),
      z.strictObject({ type: z.literal("disabled") }),
    ])
    .optional(),
});

interface ReasoningModelRules {
  pattern: RegExp;
  fields: z.ZodType<Record<string, unknown>>;
  /** Refuses reasoningContent in the history (seen on DeepSeek R1; the others' unsigned reasoning is refused alike). */
  refusesReasoning: boolean;
}

const rules: readonly ReasoningModelRules[] = [
  { pattern: /openai\.gpt-oss-/, fields: effort("low", "medium", "high"), refusesReasoning: false },
  { pattern: /amazon\.nova-2-/, fields: novaReasoning, refusesReasoning: true },
  { pattern: /deepseek\.r1/, fields: z.strictObject({}), refusesReasoning: true },
  { pattern: /deepseek\.v3/, fields: effort("low", "medium", "high"), refusesReasoning: true },
  { pattern: /kimi-k2-thinking/, fields: effort("low", "high", "max"), refusesReasoning: true },
  { pattern: /qwen\.qwen3-(32b|.*-thinking)/, fields: z.strictObject({}), refusesReasoning: true },
];

const reasoningRefused = "User messages cannot contain reasoning content. Please remove the reasoning content and try again.";
const signatureRefused =
  "This model doesn't support the reasoningContent.reasoningText.signature field. Remove reasoningContent.reasoningText.signature and try again.";

/** The first breach of the model's reasoning rules, in Bedrock's words, or null. */
export function reasoningViolation(modelId: string, request: ConverseWireRequest): string | null {
  if (isClaude(modelId)) return null;
  const messages = request.messages ?? [];
  if (hasReasoning(messages, (reasoning) => reasoning.reasoningText?.signature !== undefined)) return signatureRefused;
  const model = rules.find((rule) => rule.pattern.test(modelId));
  if (!model) return null;
  if (model.refusesReasoning && hasReasoning(messages, () => true)) return reasoningRefused;
  return fieldsViolation(model, request);
}

type Reasoning = NonNullable<ConverseWireMessage["content"][number]["reasoningContent"]>;

function hasReasoning(messages: readonly ConverseWireMessage[], matches: (reasoning: Reasoning) => boolean): boolean {
  return messages.some((message) => message.content.some((block) => block.reasoningContent !== undefined && matches(block.reasoningContent)));
}

function fieldsViolation(model: ReasoningModelRules, request: ConverseWireRequest): string | null {
  const fields = request.additionalModelRequestFields ?? {};
  const parsed = model.fields.safeParse(fields);
  if (!parsed.success) return malformed(parsed.error.issues);
  return highEffortViolation(fields, request);
}

/** Nova 2 at high effort sets its own output length and sampling (the words are ours: Bedrock's are not on record). */
function highEffortViolation(fields: Record<string, unknown>, request: ConverseWireRequest): string | null {
  const config = fields["reasoningConfig"] as { maxReasoningEffort?: string } | undefined;
  if (config?.maxReasoningEffort !== "high") return null;
  const { maxTokens, temperature, topP } = request.inferenceConfig ?? {};
  return maxTokens === undefined && temperature === undefined && topP === undefined
    ? null
    : "Malformed input request: maxTokens, temperature and topP must not be set when maxReasoningEffort is high, please reformat your input and try again.";
}

/** The shape of Bedrock's words when a model refuses its request fields (as its other models' validators word it). */
function malformed(issues: readonly Issue[]): string {
  const unknown = issues.find((issue) => issue.code === "unrecognized_keys");
  const what = unknown ? `extraneous key [${unknown.keys.join(", ")}] is not permitted` : describeIssues(issues, "#");
  return `The model returned the following errors: Malformed input request: ${what}, please reformat your input and try again.`;
}
