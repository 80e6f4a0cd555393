import { firstViolation, type Check } from "./check.ts";
import {
  converseRequestSchema,
  type ConverseWireBlock,
  type ConverseWireMessage,
  type ConverseWireRequest,
} from "./converse-schema.ts";
import { structuredOutputViolation } from "./converse-structured-output.ts";
import { betaFlagViolation, isClaude, maxOutputTokens, maxTokensExceeded, serviceTierViolation } from "./model-rules.ts";
import { reasoningViolation } from "./reasoning-rules.ts";
import { toolPairingViolation, type TurnTools } from "./tool-pairing.ts";
import { bedrockConstraint, firstIssueMessage } from "./validation-message.ts";

/**
 * Converse validation (also the `converse` form of CountTokens): the structural check, then the
 * rules Bedrock enforces on the conversation, in Bedrock's words. Pure: request in, verdict out.
 */

const maxImages = 20;
const maxDocuments = 5;
/** Alphanumerics, single spaces, hyphens, parentheses and square brackets. */
const documentNamePattern = /^[a-zA-Z0-9\-()[\]]+( [a-zA-Z0-9\-()[\]]+)*$/;

export function checkConverse(modelId: string, body: unknown): Check<ConverseWireRequest> {
  const parsed = converseRequestSchema.safeParse(body, { error: bedrockConstraint });
  if (!parsed.success) return { ok: false, message: firstIssueMessage(parsed.error) };
  const request = parsed.data;
  const messages = request.messages ?? [];
  const message = firstViolation([
    () => conversationShapeViolation(messages),
    () => firstBlockViolation(messages),
    () => attachmentCountViolation(messages),
    () => systemViolation(request),
    () => toolViolation(request, messages),
    () => maxTokensViolation(modelId, request),
    () => serviceTierViolation(modelId, request.serviceTier?.type),
    () => structuredOutputViolation(modelId, request),
    () => (isClaude(modelId) ? betaFlagViolation(modelId, request.additionalModelRequestFields?.["anthropic_beta"]) : null),
    () => reasoningViolation(modelId, request),
  ]);
  return message === null ? { ok: true, request } : { ok: false, message };
}

function conversationShapeViolation(messages: readonly ConverseWireMessage[]): string | null {
  if (messages[0]?.role !== "user") {
    return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
  }
  const alternates = messages.every((message, index) => index === 0 || message.role !== messages[index - 1]?.role);
  return alternates
    ? null
    : "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
}

function firstBlockViolation(messages: readonly ConverseWireMessage[]): string | null {
  for (const [index, message] of messages.entries()) {
    const violation = messageViolation(message, index);
    if (violation !== null) return violation;
  }
  return null;
}

function messageViolation(message: ConverseWireMessage, index: number): string | null {
  if (message.content.length === 0) {
    return `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`;
  }
  const hasWords = message.content.some((block) => block.text !== undefined && block.text.trim() !== "");
  for (const [position, block] of message.content.entries()) {
    const violation = blockViolation(block, { role: message.role, at: `messages.${index}.content.${position}`, hasWords });
    if (violation !== null) return violation;
  }
  const hasDocument = message.content.some((block) => block.document !== undefined);
  const hasText = message.content.some((block) => block.text !== undefined);
  return hasDocument && !hasText
    ? `The message at messages.${index} contains a document but no text block. Add a text block that goes with the document and try again.`
    : null;
}

/**
 * Empty text is always blank. Whitespace-only text is blank unless the message has real text elsewhere:
 * a recorded request Bedrock accepted (pydantic-ai, sonnet 4.5) held a lone "\n" block between a
 * document and the question.
 */
function isBlank(text: string, messageHasWords: boolean): boolean {
  return text === "" || (text.trim() === "" && !messageHasWords);
}

interface BlockPlace {
  role: ConverseWireMessage["role"];
  /** `messages.N.content.M`, as Bedrock's messages name it. */
  at: string;
  /** The message holds some non-blank text. */
  hasWords: boolean;
}

function blockViolation(block: ConverseWireBlock, { role, at, hasWords }: BlockPlace): string | null {
  if (block.text !== undefined && isBlank(block.text, hasWords)) {
    return `The text field in the ContentBlock object at ${at} is blank. Add text to the text field, and try again.`;
  }
  if (role !== "user" && (block.image !== undefined || block.document !== undefined)) {
    return `The ${block.image ? "image" : "document"} block at ${at} is only allowed in a user message.`;
  }
  if (role !== "assistant" && (block.reasoningContent !== undefined || block.toolUse !== undefined)) {
    return `The ${block.toolUse ? "toolUse" : "reasoningContent"} block at ${at} is only allowed in an assistant message.`;
  }
  if (role !== "user" && block.toolResult !== undefined) {
    return `The toolResult block at ${at} is only allowed in a user message.`;
  }
  return documentNames(block).some((name) => !documentNamePattern.test(name))
    ? "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
    : null;
}

function documentNames(block: ConverseWireBlock): string[] {
  const nested = block.toolResult?.content.flatMap((item) => (item.document ? [item.document.name] : [])) ?? [];
  return block.document ? [block.document.name, ...nested] : nested;
}

function attachmentCountViolation(messages: readonly ConverseWireMessage[]): string | null {
  let images = 0;
  let documents = 0;
  for (const block of messages.flatMap((message) => message.content)) {
    const inResult = block.toolResult?.content ?? [];
    images += (block.image ? 1 : 0) + inResult.filter((item) => item.image).length;
    documents += (block.document ? 1 : 0) + inResult.filter((item) => item.document).length;
  }
  if (images > maxImages) return `Too many images: the request holds ${images}, the limit is ${maxImages}.`;
  if (documents > maxDocuments) return `Too many documents: the request holds ${documents}, the limit is ${maxDocuments}.`;
  return null;
}

function systemViolation(request: ConverseWireRequest): string | null {
  const blank = (request.system ?? []).findIndex((block) => block.text !== undefined && block.text.trim() === "");
  return blank < 0 ? null : `The text field in the SystemContentBlock object at system.${blank} is blank. Add text to the text field, and try again.`;
}

function toolViolation(request: ConverseWireRequest, messages: readonly ConverseWireMessage[]): string | null {
  const usesTools = messages.some((message) => message.content.some((block) => block.toolUse || block.toolResult));
  if (usesTools && !request.toolConfig) {
    return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
  }
  return firstViolation([() => pairingViolation(messages), () => toolConfigViolation(request)]);
}

function pairingViolation(messages: readonly ConverseWireMessage[]): string | null {
  const turns: TurnTools[] = messages.map((message) => ({
    role: message.role,
    toolUseIds: message.content.flatMap((block) => (block.toolUse ? [block.toolUse.toolUseId] : [])),
    toolResultIds: message.content.flatMap((block) => (block.toolResult ? [block.toolResult.toolUseId] : [])),
  }));
  const violation = toolPairingViolation(turns);
  if (violation === null) return null;
  return violation.kind === "missingResults"
    ? `Expected toolResult blocks at messages.${violation.index}.content for the following Ids: ${violation.ids.join(", ")}`
    : `The number of toolResult blocks at messages.${violation.index}.content exceeds the number of toolUse blocks of previous turn.`;
}

function toolConfigViolation(request: ConverseWireRequest): string | null {
  if (!request.toolConfig) return null;
  const names = request.toolConfig.tools.flatMap((tool) => (tool.toolSpec ? [tool.toolSpec.name] : []));
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) return `The toolConfig contains the tool name ${duplicate} more than once. Tool names must be unique.`;
  const chosen = request.toolConfig.toolChoice?.tool?.name;
  return chosen === undefined || names.includes(chosen)
    ? null
    : `The tool ${chosen} named in toolConfig.toolChoice is not defined in toolConfig.tools.`;
}

function maxTokensViolation(modelId: string, request: ConverseWireRequest): string | null {
  const requested = request.inferenceConfig?.maxTokens;
  const limit = maxOutputTokens(modelId);
  return requested !== undefined && requested > limit ? maxTokensExceeded(limit) : null;
}


