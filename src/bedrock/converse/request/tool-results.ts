import type { ToolResultBlock, ToolResultContentBlock } from "@aws-sdk/client-bedrock-runtime";
import type { ToolResultBlockParam } from "../../../anthropic/schema.ts";
import type { ConversionContext } from "./context.ts";
import { toDocumentBlock } from "./documents.ts";
import { hasText, isBlank } from "./dropped-blocks.ts";
import { toBedrockIdentifier } from "../identifiers.ts";
import { toImageBlock } from "./images.ts";
import { toSearchResultBlock } from "./search-results.ts";

/**
 * What a tool result with no content says to Bedrock. Converse refuses an empty `content` (and a
 * blank text), and an error result with no content is refused outright, so "nothing" has to be said
 * in words. Text rather than `{json: {}}` because every tool-capable Converse model takes text.
 */
export const emptyToolResultText = "(no content)";

export function toToolResultBlock(block: ToolResultBlockParam, ctx: ConversionContext, where: string): ToolResultBlock {
  const content = toolResultContent(block.content, ctx);
  if (content.length === 0) {
    ctx.debug(`${where}: empty tool_result content sent as "${emptyToolResultText}"`);
    content.push({ text: emptyToolResultText });
  }
  return {
    toolUseId: toBedrockIdentifier(block.tool_use_id),
    content,
    status: block.is_error ? "error" : "success",
  };
}

function toolResultContent(content: ToolResultBlockParam["content"], ctx: ConversionContext): ToolResultContentBlock[] {
  if (content === undefined) return [];
  // Text stays text, even when it is valid JSON: the model reads the string it was given.
  if (typeof content === "string") return isBlank(content) ? [] : [{ text: content }];
  return content.flatMap((item): ToolResultContentBlock[] => {
    switch (item.type) {
      case "text":
        return isBlank(item.text) ? [] : [{ text: item.text }];
      case "image":
        return [{ image: toImageBlock(item.source, ctx) }];
      case "document":
        return [{ document: toDocumentBlock(item, ctx) }];
      case "search_result":
        if (hasText(item)) return [{ searchResult: toSearchResultBlock(item) }];
        ctx.debug(`search_result "${item.title}" dropped: it has no text`);
        return [];
    }
  });
}

/** Whether any part of the result carries cache_control (its cachePoint goes after the whole toolResult). */
export function toolResultCacheControl(block: ToolResultBlockParam): ToolResultBlockParam["cache_control"] {
  if (block.cache_control) return block.cache_control;
  if (!Array.isArray(block.content)) return undefined;
  return block.content.findLast((item) => item.cache_control)?.cache_control;
}
