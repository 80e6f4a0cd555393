import type {
  ConverseStreamCommandInput,
  ConverseTokensRequest,
  CountTokensInput,
  Message,
  SystemContentBlock,
  ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import type { CountTokensRequest, MessagesRequest } from "../../anthropic/schema.ts";
import type { ResolvedModel } from "../models.ts";
import { createContext, unsupported, type ConversionContext } from "./context.ts";
import type { ImageLoader } from "../images/request-images.ts";
import { additionalModelResponseFieldPaths, toAdditionalModelRequestFields, toInferenceConfig, toOutputConfig, toRequestMetadata } from "./inference.ts";
import { collectMedia, enforceMediaLimits } from "./media.ts";
import { toConverseMessages } from "./messages.ts";
import { toSystemBlocks } from "./system.ts";
import { assertToolResultsFollowToolUses } from "./tool-pairing.ts";
import { ToolNameMap } from "./tool-names.ts";
import { toConverseTools, toToolConfig } from "./tools.ts";

/** What converting the conversation needs (count_tokens needs no more). */
export interface ConversationOptions {
  model: ResolvedModel;
  /** Checks the images against Converse's limits and fetches the URL ones. */
  loadImages: ImageLoader;
  debug(message: string): void;
}

export interface ConverseRequestOptions extends ConversationOptions {
  /** The client's betas, already filtered for the model. */
  betas: readonly string[];
}

export interface ConverseRequest {
  /** modelId included; the same object serves Converse. */
  input: ConverseStreamCommandInput;
  /** Restores the client's tool names in the response of this request. */
  toolNames: ToolNameMap;
}

/** The Anthropic request as a Converse / ConverseStream input. Throws ApiError (400) for what Bedrock cannot do. */
export async function toConverseRequest(req: MessagesRequest, options: ConverseRequestOptions): Promise<ConverseRequest> {
  const { conversation, ctx } = await toConversation(req, options, { requireToolResults: true });
  rejectUnsupportedFields(req, ctx);
  const input: ConverseStreamCommandInput = {
    modelId: options.model.modelId,
    messages: conversation.messages,
    ...(conversation.system.length > 0 ? { system: conversation.system } : {}),
    inferenceConfig: toInferenceConfig(req, ctx),
    ...(conversation.toolConfig ? { toolConfig: conversation.toolConfig } : {}),
  };
  const additionalFields = toAdditionalModelRequestFields(req, options.betas, ctx);
  if (additionalFields) input.additionalModelRequestFields = additionalFields;
  const responsePaths = additionalModelResponseFieldPaths(ctx);
  if (responsePaths) input.additionalModelResponseFieldPaths = responsePaths;
  const requestMetadata = toRequestMetadata(req, ctx);
  if (requestMetadata) input.requestMetadata = requestMetadata;
  const outputConfig = toOutputConfig(req);
  if (outputConfig) input.outputConfig = outputConfig;
  return { input, toolNames: ctx.toolNames };
}

/**
 * The `input` of Bedrock CountTokens for an Anthropic count_tokens request: the same conversion as a
 * message, without model fields (CountTokens takes none, so `betas`, when passed, are not used).
 */
export async function toCountTokensInput(
  req: CountTokensRequest,
  options: ConversationOptions | ConverseRequestOptions,
): Promise<CountTokensInput.ConverseMember> {
  // A count may be asked for a conversation still waiting on its tool results: Bedrock judges it.
  const { conversation } = await toConversation(req, options, { requireToolResults: false });
  const converse: ConverseTokensRequest = { messages: conversation.messages };
  if (conversation.system.length > 0) converse.system = conversation.system;
  if (conversation.toolConfig) converse.toolConfig = conversation.toolConfig;
  return { converse };
}

type ConversationRequest = Pick<CountTokensRequest, "messages" | "system" | "tools" | "tool_choice">;

interface Conversation {
  messages: Message[];
  system: SystemContentBlock[];
  toolConfig: ToolConfiguration | undefined;
}

async function toConversation(
  req: ConversationRequest,
  options: ConversationOptions,
  checks: { requireToolResults: boolean },
): Promise<{ conversation: Conversation; ctx: ConversionContext }> {
  const media = collectMedia(req.messages);
  enforceMediaLimits(media);
  const images = await options.loadImages(media.images, "converse");
  const ctx = createContext({ model: options.model, toolNames: new ToolNameMap(), images, debug: options.debug });

  // Tool definitions first, so their names are registered before the history's.
  const tools = toConverseTools(req.tools, ctx);
  const { messages, systemTexts } = toConverseMessages(req.messages, ctx);
  if (checks.requireToolResults) assertToolResultsFollowToolUses(messages);
  const system = toSystemBlocks(req.system, systemTexts, ctx);
  const toolConfig = toToolConfig(tools, req.tool_choice, messages, ctx);
  for (const [client, bedrock] of ctx.toolNames.renamed()) ctx.debug(`tool name ${client} sent to Bedrock as ${bedrock}`);
  return { conversation: { messages, system, toolConfig }, ctx };
}

/** Request fields with no Converse counterpart: refused when they change what the model can do, else noted. */
function rejectUnsupportedFields(req: MessagesRequest, ctx: ConversionContext): void {
  const mcpServers = req["mcp_servers"];
  if (Array.isArray(mcpServers) && mcpServers.length > 0) throw unsupported(ctx.model, "`mcp_servers`");
  if (req.container != null) ctx.debug("container dropped: Converse has no code-execution container");
  if (req.service_tier !== undefined) ctx.debug("service_tier dropped: Anthropic tiers have no Converse counterpart");
}
