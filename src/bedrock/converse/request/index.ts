import type {
  ConverseStreamCommandInput,
  ConverseTokensRequest,
  CountTokensInput,
  Message,
  SystemContentBlock,
  ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import type { ImageLoader } from "../../images/request-images.ts";
import type { PreparedMessagesRequest, PreparedRequest } from "../../prepare.ts";
import { ToolNameMap } from "../tool-names.ts";
import { createContext, type ConversionContext } from "./context.ts";
import { claudeExtras, toFieldParts } from "./fields.ts";
import { collectMedia, enforceMediaLimits } from "./media.ts";
import { toConverseMessages } from "./messages.ts";
import { toSystemBlocks } from "./system.ts";
import { toolBlocksAsText } from "./tool-blocks-as-text.ts";
import { assertToolResultsFollowToolUses } from "./tool-pairing.ts";
import { toConverseTools, toToolConfig } from "./tools.ts";

/** What converting a prepared request needs besides the request. */
export interface ConversionOptions {
  /** Checks the images against Converse's limits and fetches the URL ones. */
  loadImages: ImageLoader;
  debug(message: string): void;
}

export interface ConverseRequest {
  /** modelId included; the same object serves Converse. */
  input: ConverseStreamCommandInput;
  /** Restores the client's tool names in the response of this request. */
  toolNames: ToolNameMap;
}

/**
 * The prepared request as a Converse / ConverseStream input: the conversation, then every other field
 * by its row of the field table (fields.ts). Throws ApiError (400) for what Bedrock cannot do.
 */
export async function toConverseRequest(prepared: PreparedRequest, options: ConversionOptions): Promise<ConverseRequest> {
  const { conversation, ctx } = await toConversation(prepared, options, { requireToolResults: true });
  const parts = toFieldParts(prepared.request, ctx);
  const extras = claudeExtras(ctx);
  const modelFields = { ...parts.additionalModelRequestFields, ...extras.additionalModelRequestFields };
  const input: ConverseStreamCommandInput = {
    modelId: prepared.model.modelId,
    messages: conversation.messages,
    ...(conversation.system.length > 0 ? { system: conversation.system } : {}),
    inferenceConfig: parts.inferenceConfig,
    ...(conversation.toolConfig ? { toolConfig: conversation.toolConfig } : {}),
    ...(Object.keys(modelFields).length > 0 ? { additionalModelRequestFields: modelFields } : {}),
    ...(extras.additionalModelResponseFieldPaths ? { additionalModelResponseFieldPaths: extras.additionalModelResponseFieldPaths } : {}),
    ...(Object.keys(parts.requestMetadata).length > 0 ? { requestMetadata: parts.requestMetadata } : {}),
    ...(parts.outputConfig ? { outputConfig: parts.outputConfig } : {}),
  };
  return { input, toolNames: ctx.toolNames };
}

/**
 * The `input` of Bedrock CountTokens for a prepared count_tokens request: the same conversation as the
 * message would send, without model fields (CountTokens takes none). No Converse model serves
 * CountTokens today (the model profile says which do), so count_tokens answers with the estimate of
 * the same prepared request; this is the count the day one does.
 */
export async function toCountTokensInput(prepared: PreparedRequest, options: ConversionOptions): Promise<CountTokensInput.ConverseMember> {
  // A count may be asked for a conversation still waiting on its tool results: Bedrock judges it.
  const { conversation } = await toConversation(prepared, options, { requireToolResults: false });
  const converse: ConverseTokensRequest = { messages: conversation.messages };
  if (conversation.system.length > 0) converse.system = conversation.system;
  if (conversation.toolConfig) converse.toolConfig = conversation.toolConfig;
  return { converse };
}

interface Conversation {
  messages: Message[];
  system: SystemContentBlock[];
  toolConfig: ToolConfiguration | undefined;
}

async function toConversation(
  { request, model, betas }: PreparedRequest,
  options: ConversionOptions,
  checks: { requireToolResults: boolean },
): Promise<{ conversation: Conversation; ctx: ConversionContext }> {
  const media = collectMedia(request.messages);
  enforceMediaLimits(media);
  const images = await options.loadImages(media.images, "converse");
  const ctx = createContext({ model, betas: betas.forwarded, toolNames: new ToolNameMap(), images, debug: options.debug });

  // Tool definitions first, so their names are registered before the history's.
  const tools = toConverseTools(request.tools, ctx);
  const converted = toConverseMessages(request.messages, ctx);
  if (checks.requireToolResults) assertToolResultsFollowToolUses(converted);
  const toolConfig = toToolConfig(tools, request.tool_choice, converted, ctx);
  const messages = withholdsTools(request) ? toolBlocksAsText(converted, ctx) : converted;
  const system = toSystemBlocks(request.system, ctx);
  for (const [client, bedrock] of ctx.toolNames.renamed()) ctx.debug(`tool name ${client} sent to Bedrock as ${bedrock}`);
  return { conversation: { messages, system, toolConfig }, ctx };
}

function withholdsTools(request: PreparedMessagesRequest): boolean {
  return request.tool_choice?.type === "none";
}
