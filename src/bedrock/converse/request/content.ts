import type { ContentBlock } from "@aws-sdk/client-bedrock-runtime";
import { invalidRequest } from "../../../anthropic/errors.ts";
import type { CacheControl, ContentBlockParam } from "../../../anthropic/schema.ts";
import { cachePointFor } from "./cache-points.ts";
import { unsupported, type ConversionContext } from "./context.ts";
import { toDocumentBlock } from "./documents.ts";
import { droppedOnConverse, type Role } from "./dropped-blocks.ts";
import { toBedrockIdentifier } from "../identifiers.ts";
import { toImageBlock } from "./images.ts";
import { toJsonDocument } from "../json-document.ts";
import { redactedContentFromData } from "../redacted-thinking.ts";
import { toSearchResultBlock } from "./search-results.ts";
import { toolResultCacheControl, toToolResultBlock } from "./tool-results.ts";

/**
 * One Anthropic content block as Converse blocks: usually one, none when Converse cannot take it and
 * dropping it keeps the meaning, plus a cachePoint after it when it carries cache_control.
 * `where` (e.g. `messages[2].content[0]`) names the block in debug notes and errors.
 */
export function toConverseContent(block: ContentBlockParam, role: Role, ctx: ConversionContext, where: string): ContentBlock[] {
  const converted = convertBlock(block, role, ctx, where);
  // Kept even when the block itself was dropped (a blank text marking the end of a cached prefix):
  // the prefix still ends here. A cachePoint left with nothing before it is removed per message.
  const cachePoint = cachePointFor(cacheControlOf(block), ctx);
  return cachePoint ? [...converted, { cachePoint }] : converted;
}

function convertBlock(block: ContentBlockParam, role: Role, ctx: ConversionContext, where: string): ContentBlock[] {
  const dropped = droppedOnConverse(block, role, ctx.model);
  if (dropped) {
    if (dropped.perRequest) ctx.debugOnce(dropped.note);
    else ctx.debug(`${where}: ${dropped.note}`);
    return [];
  }
  switch (block.type) {
    case "text":
      if (block.citations?.length) ctx.debugOnce("citations on text blocks of the history are sent as plain text");
      return [{ text: block.text }];

    case "image":
      onlyInUserTurns(role, "Images", where);
      return [{ image: toImageBlock(block.source, ctx) }];

    case "document":
      onlyInUserTurns(role, "Documents", where);
      return [{ document: toDocumentBlock(block, ctx) }];

    case "search_result":
      return [{ searchResult: toSearchResultBlock(block) }];

    case "thinking": {
      // Claude's replayed exactly as it produced it (docs/bedrock-protocol.md#p1-thinking-replay: it verifies the signature); another
      // model's as text only (droppedOnConverse has kept it only where its profile takes it back).
      const signature = ctx.model.profile.thinking ? block.signature : "";
      return [{ reasoningContent: { reasoningText: signature ? { text: block.thinking, signature } : { text: block.thinking } } }];
    }

    case "redacted_thinking":
      return [{ reasoningContent: { redactedContent: redactedContentFromData(block.data) } }];

    case "tool_use":
      if (role !== "assistant") throw invalidRequest(`${where}: \`tool_use\` blocks can only be in assistant messages`);
      return [
        {
          toolUse: {
            toolUseId: toBedrockIdentifier(block.id),
            name: ctx.toolNames.toBedrock(block.name),
            input: block.input === undefined || block.input === null ? {} : toJsonDocument(block.input),
          },
        },
      ];

    case "tool_result":
      if (role !== "user") throw invalidRequest(`${where}: \`tool_result\` blocks can only be in user messages`);
      return [{ toolResult: toToolResultBlock(block, ctx, where) }];

    default:
      // Server-tool blocks (web search results, code execution, MCP…) come from tools only Anthropic
      // runs; Converse has no block for them, and dropping them would rewrite the conversation.
      throw unsupported(ctx.model, `\`${block.type}\` content (${where})`);
  }
}

function onlyInUserTurns(role: Role, what: string, where: string): void {
  if (role !== "user") throw invalidRequest(`${where}: ${what} can only be in user messages on Bedrock`);
}

function cacheControlOf(block: ContentBlockParam): CacheControl | null | undefined {
  switch (block.type) {
    case "text":
    case "image":
    case "document":
    case "search_result":
    case "tool_use":
      return block.cache_control;
    case "tool_result":
      return toolResultCacheControl(block);
    default:
      return undefined;
  }
}
