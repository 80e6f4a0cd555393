import type { ThinkingConfig } from "../anthropic/schema.ts";

/**
 * Reasoning on Bedrock models that are not Claude: how Anthropic's `thinking` reaches each one (a field
 * of its own in `additionalModelRequestFields`, or nothing when the model has no switch), and what happens
 * to its reasoning when a client sends it back in a later turn. Each entry names where its facts come from.
 * Their reasoning comes back as Converse `reasoningContent` like Claude's, so the response side needs no rule.
 */

export type ReasoningEffort = "low" | "medium" | "high" | "max";

/** Thinking budgets that stand in for an effort (adaptive thinking on a model without it), and back. */
export const effortBudgets: Readonly<Record<ReasoningEffort, number>> = { low: 4_096, medium: 10_000, high: 16_000, max: 32_000 };

/** Converse request fields (plain JSON). */
export type ReasoningFields = Record<string, string | Record<string, string>>;

/**
 * How reasoning blocks of earlier turns are sent back: `unsigned` keeps the text and drops the signature
 * (and redacted reasoning, which only signs), `drop` sends none. Claude's own (`signed`) is not in this table.
 */
export type ReasoningReplay = "unsigned" | "drop";

export interface ReasoningProfile {
  /** The request fields for an effort, and for `thinking: disabled` ("off"); undefined: nothing to send. */
  fields(effort: ReasoningEffort | "off"): ReasoningFields | undefined;
  replay: ReasoningReplay;
  /** Where the facts of this entry come from. */
  source: string;
}

/** Reasoning the model does on every request, with no field to ask for it or turn it off. */
const noSwitch = () => undefined;

const gptOss: ReasoningProfile = {
  // No off switch: "low" is as little as it reasons. Its effort scale stops at high.
  fields: (effort) => ({ reasoning_effort: effort === "off" ? "low" : effort === "max" ? "high" : effort }),
  // Bedrock takes its reasoning text back but refuses "the reasoningContent.reasoningText.signature field".
  replay: "unsigned",
  source:
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html (other OpenAI fields go in additionalModelRequestFields); " +
    "langchain-ai/langchain-aws#1188 (reasoning_effort low|medium|high); aws-samples/bedrock-engineer#239 (Bedrock's signature error)",
};

const nova2: ReasoningProfile = {
  // Off by default. At "high" Nova 2 takes no maxTokens, temperature or topP, which would drop the
  // client's max_tokens, so the effort stops at medium.
  fields: (effort) => (effort === "off" ? undefined : { reasoningConfig: { type: "enabled", maxReasoningEffort: effort === "low" ? "low" : "medium" } }),
  // Its reasoning text is "[REDACTED]": sending it back would carry nothing.
  replay: "drop",
  source:
    "https://docs.aws.amazon.com/nova/latest/nova2-userguide/extended-thinking.html (reasoningConfig, maxReasoningEffort low|medium|high, high without maxTokens/temperature/topP); " +
    "https://docs.aws.amazon.com/nova/latest/nova2-userguide/reasoning-capabilities.html (disabled by default, reasoning shown as [REDACTED]); " +
    "langchain-ai/langchain-aws#784 (maxReasoningEffort \"high\" sent without maxTokens)",
};

const deepseekR1: ReasoningProfile = {
  fields: noSwitch,
  // Bedrock: "User messages cannot contain reasoning content. Please remove the reasoning content and try again."
  replay: "drop",
  source:
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html (R1, a reasoning model: its parameters hold no reasoning switch); " +
    "langchain-ai/langchain-aws#401, aws-samples/bedrock-chat#845 (Bedrock refuses its reasoning in the history)",
};

const deepseekV3: ReasoningProfile = {
  // Hybrid, thinking off by default; reasoning_effort turns it on.
  fields: (effort) => (effort === "off" ? undefined : { reasoning_effort: effort === "max" ? "high" : effort }),
  // DeepSeek's own API wants earlier reasoning left out; Bedrock refuses unsigned reasoning (as for R1).
  replay: "drop",
  source:
    "langchain-ai/langchain-aws#1261 (V3.1/V3.2 on Converse: thinking off by default, on with reasoning_effort); " +
    "https://api-docs.deepseek.com/guides/reasoning_model (reasoning of earlier turns is not sent back)",
};

const kimiK2Thinking: ReasoningProfile = {
  // Always reasons; its effort scale is low, high, max.
  fields: (effort) => ({ reasoning_effort: effort === "off" || effort === "low" ? "low" : effort === "max" ? "max" : "high" }),
  // Moonshot's own API keeps reasoning_content in the history; Converse has no unsigned form Bedrock is
  // known to accept for it, so it is left out rather than risk a refused turn.
  replay: "drop",
  source: "langchain-ai/langchain-aws#1188 (moonshot.kimi-k2-thinking: reasoning_effort low|high|max); langchain-ai/langchain-aws#408 (unsigned reasoning is not sent back)",
};

const qwen3Thinking: ReasoningProfile = {
  // Qwen3 32B thinks by default and the -thinking ids always do; Bedrock documents no switch for either.
  fields: noSwitch,
  // Qwen's guidance: the history holds only final answers, never the thinking.
  replay: "drop",
  source:
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-cards-qwen.html (Qwen3 32B: hybrid thinking); " +
    "https://huggingface.co/Qwen/Qwen3-32B (best practices: no thinking content in the history)",
};

/** First match wins; models not listed do not reason (their reasoning blocks are dropped on replay). */
const reasoningRules: readonly { pattern: RegExp; profile: ReasoningProfile }[] = [
  { pattern: /(^|[./])openai\.gpt-oss-/, profile: gptOss },
  { pattern: /(^|[./])amazon\.nova-2-/, profile: nova2 },
  { pattern: /(^|[./])deepseek\.r1/, profile: deepseekR1 },
  { pattern: /(^|[./])deepseek\.v3/, profile: deepseekV3 },
  { pattern: /(^|[./])moonshot(ai)?\.kimi-k2-thinking/, profile: kimiK2Thinking },
  { pattern: /(^|[./])qwen\.qwen3-(32b|.*-thinking)/, profile: qwen3Thinking },
];

export function reasoningProfileFor(modelId: string): ReasoningProfile | undefined {
  return reasoningRules.find((rule) => rule.pattern.test(modelId))?.profile;
}

/** A budget read as the least effort whose stand-in budget covers it (the inverse of effortBudgets). */
export function effortForBudget(budget: number): ReasoningEffort {
  const efforts = Object.keys(effortBudgets) as ReasoningEffort[];
  return efforts.find((effort) => budget <= effortBudgets[effort]) ?? "max";
}

/** The request fields for the request's thinking (already made a budget, or disabled), if any. */
export function reasoningFields(profile: ReasoningProfile, thinking: ThinkingConfig | undefined): ReasoningFields | undefined {
  if (thinking === undefined) return undefined;
  if (thinking.type === "disabled") return profile.fields("off");
  return profile.fields(thinking.type === "enabled" ? effortForBudget(thinking.budget_tokens) : "high");
}
