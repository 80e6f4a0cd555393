import { invokeServes } from "../src/bedrock/anthropic-tools.ts";
import { profileFor } from "../src/bedrock/models.ts";
import { firstViolation, type Check } from "./check.ts";
import { malformedRequest } from "./json.ts";
import { invokeBodySchema, invokeKeys, requiredInvokeKeys, type InvokeBody, type InvokeMessage } from "./invoke-schema.ts";
import { schemaViolation } from "./json-schema.ts";
import { betaFlagViolation, isClaude, maxOutputTokens } from "./model-rules.ts";
import { toolPairingViolation, type TurnTools } from "./tool-pairing.ts";
import { anthropicConstraint, firstAnthropicIssueMessage } from "./validation-message.ts";

/**
 * InvokeModel validation for Claude (also the `invokeModel` form of CountTokens). Bedrock first checks
 * the body against its JSON schema ("Malformed input request: #: …"), then Anthropic validates the
 * Messages request; messages are worded accordingly. Consecutive same-role turns are allowed (Anthropic
 * merges them). Pure: body in, verdict out.
 */

const bedrockVersion = "bedrock-2023-05-31";
const interleavedThinking = "interleaved-thinking-2025-05-14";
const toolSearch = "tool-search-tool-2025-10-19";
const thinkingDisplays = ["summarized", "omitted"];

export function checkInvoke(modelId: string, body: unknown): Check<InvokeBody> {
  if (!isClaude(modelId)) return { ok: false, message: notThisModelsSchema(body) };
  const schemaMessage = jsonSchemaViolation(body);
  if (schemaMessage !== null) return { ok: false, message: schemaMessage };
  const parsed = invokeBodySchema.safeParse(body, { error: anthropicConstraint });
  if (!parsed.success) return { ok: false, message: firstAnthropicIssueMessage(parsed.error) };
  const request = parsed.data;
  const message = firstViolation([
    () => (request.anthropic_version === bedrockVersion ? null : `Invalid API version: ${request.anthropic_version}`),
    () => betaFlagViolation(modelId, request.anthropic_beta),
    () => maxTokensViolation(modelId, request.max_tokens),
    () => messagesViolation(request.messages),
    () => pairingViolation(request.messages),
    () => thinkingViolation(modelId, request),
    () => deferredToolViolation(request),
    () => (request.output_config?.effort !== undefined && !profileFor(modelId).effort ? "output_config.effort: Extra inputs are not permitted" : null),
    () => outputFormatViolation(modelId, request.output_config?.format),
    () => toolsViolation(modelId, request.tools ?? []),
  ]);
  return message === null ? { ok: true, request } : { ok: false, message };
}

type InvokeOutputFormat = NonNullable<InvokeBody["output_config"]>["format"];

/** Structured outputs: only on a model that has them, with a schema Bedrock can compile. */
function outputFormatViolation(modelId: string, format: InvokeOutputFormat): string | null {
  if (format === undefined) return null;
  if (!profileFor(modelId).structuredOutputs) return "output_config.format: Extra inputs are not permitted";
  return schemaViolation(format.schema, "output_config.format.schema");
}

/** Anthropic-defined tools Bedrock does not serve fail Anthropic's tagged-union check; `strict` needs structured outputs. */
function toolsViolation(modelId: string, tools: NonNullable<InvokeBody["tools"]>): string | null {
  for (const [index, tool] of tools.entries()) {
    if (tool.type && tool.type !== "custom" && !invokeServes(tool.type, modelId)) {
      return `tools.${index}: Input tag '${tool.type}' found using 'type' does not match any of the expected tags`;
    }
    if (tool.strict !== undefined && !profileFor(modelId).structuredOutputs) return `tools.${index}.custom.strict: Extra inputs are not permitted`;
    const violation = tool.strict ? schemaViolation(tool["input_schema"], `tools.${index}.custom.input_schema`) : null;
    if (violation !== null) return violation;
  }
  return null;
}

function malformed(violations: readonly string[]): string {
  return `Malformed input request: ${violations.join("")}, please reformat your input and try again.`;
}

/** Another provider's schema sees Anthropic's fields as extraneous. */
function notThisModelsSchema(body: unknown): string {
  return isObject(body) && "anthropic_version" in body
    ? malformed(["#: extraneous key [anthropic_version] is not permitted"])
    : malformedRequest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonSchemaViolation(body: unknown): string | null {
  if (!isObject(body)) return malformed([`#: expected type: JSONObject, found: ${Array.isArray(body) ? "JSONArray" : typeof body}`]);
  const allowed = new Set<string>(invokeKeys);
  const violations = [
    ...requiredInvokeKeys.filter((key) => !(key in body)).map((key) => `#: required key [${key}] not found`),
    ...Object.keys(body).filter((key) => !allowed.has(key)).map((key) => `#: extraneous key [${key}] is not permitted`),
  ];
  return violations.length > 0 ? malformed(violations) : null;
}

function maxTokensViolation(modelId: string, maxTokens: number): string | null {
  const limit = maxOutputTokens(modelId);
  return maxTokens > limit
    ? `max_tokens: ${maxTokens} > ${limit}, which is the maximum allowed number of output tokens for ${modelId}`
    : null;
}

function messagesViolation(messages: readonly InvokeMessage[]): string | null {
  if (messages.length === 0) return "messages: at least one message is required";
  for (const [index, message] of messages.entries()) {
    const violation = messageViolation(message, index, index === messages.length - 1);
    if (violation !== null) return violation;
  }
  return null;
}

function messageViolation(message: InvokeMessage, index: number, isLast: boolean): string | null {
  if (message.role === "system") {
    return `messages.${index}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`;
  }
  if (message.role !== "user" && message.role !== "assistant") return `messages.${index}.role: Input should be 'user' or 'assistant'`;
  if (isLast && message.role === "assistant") return null;
  const texts = typeof message.content === "string" ? [message.content] : message.content.flatMap((block) => (block.type === "text" ? [block.text ?? ""] : []));
  if (message.content.length === 0) {
    return `messages.${index}: all messages must have non-empty content except for the optional final assistant message`;
  }
  if (texts.some((text) => text === "")) return "messages: text content blocks must be non-empty";
  return texts.some((text) => text.trim() === "") ? "messages: text content blocks must contain non-whitespace text" : null;
}

/** Pairing is checked on the turns Anthropic sees, consecutive same-role messages merged. */
function pairingViolation(messages: readonly InvokeMessage[]): string | null {
  const turns: { role: TurnTools["role"]; toolUseIds: string[]; toolResultIds: string[] }[] = [];
  for (const message of messages) {
    const blocks = typeof message.content === "string" ? [] : message.content;
    const toolUseIds = blocks.flatMap((block) => (block.type === "tool_use" && block.id ? [block.id] : []));
    const toolResultIds = blocks.flatMap((block) => (block.type === "tool_result" && block.tool_use_id ? [block.tool_use_id] : []));
    const role = message.role === "assistant" ? "assistant" : "user";
    const previous = turns.at(-1);
    if (previous?.role === role) {
      previous.toolUseIds.push(...toolUseIds);
      previous.toolResultIds.push(...toolResultIds);
    } else {
      turns.push({ role, toolUseIds, toolResultIds });
    }
  }
  const violation = toolPairingViolation(turns);
  if (violation === null) return null;
  const ids = violation.ids.join(", ");
  return violation.kind === "missingResults"
    ? `messages.${violation.index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`
    : `messages.${violation.index}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${ids}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
}

function thinkingViolation(modelId: string, request: InvokeBody): string | null {
  const thinking = request.thinking;
  if (!thinking) return null;
  const tags = profileFor(modelId).adaptiveThinking ? ["adaptive", "disabled", "enabled"] : ["disabled", "enabled"];
  if (!tags.includes(thinking.type)) {
    return `thinking.type: Input tag '${thinking.type}' found using 'type' does not match any of the expected tags: ${tags.map((tag) => `'${tag}'`).join(", ")}`;
  }
  if (thinking.display !== undefined && !thinkingDisplays.includes(String(thinking.display))) {
    return `thinking.${thinking.type}.display: Input should be 'summarized' or 'omitted'`;
  }
  if (thinking.type === "enabled") {
    const budgetMessage = budgetViolation(thinking.budget_tokens, request);
    if (budgetMessage !== null) return budgetMessage;
  }
  return thinking.type !== "disabled" && request.temperature !== undefined && request.temperature !== 1
    ? "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode."
    : null;
}

/** With interleaved thinking the budget spans several blocks, so it may exceed `max_tokens`. */
function budgetViolation(budget: number | undefined, request: InvokeBody): string | null {
  if (budget === undefined) return "thinking.enabled.budget_tokens: Field required";
  if (budget < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
  const interleaved = Array.isArray(request.anthropic_beta) && request.anthropic_beta.includes(interleavedThinking);
  return budget >= request.max_tokens && !interleaved ? "`max_tokens` must be greater than `thinking.budget_tokens`." : null;
}

/** A deferred tool (tool search) is a field Anthropic knows only under Bedrock's tool-search beta. */
function deferredToolViolation(request: InvokeBody): string | null {
  const index = (request.tools ?? []).findIndex((tool) => tool["defer_loading"] !== undefined);
  const betas = Array.isArray(request.anthropic_beta) ? request.anthropic_beta : [];
  return index >= 0 && !betas.includes(toolSearch) ? `tools.${index}.custom.defer_loading: Extra inputs are not permitted` : null;
}
