import type { ContentBlock, Message, ToolResultBlock, ToolResultContentBlock, ToolUseBlock } from "@aws-sdk/client-bedrock-runtime";
import type { ConversionContext } from "./context.ts";

/**
 * Under `tool_choice: none` no toolConfig goes, so the model cannot call a tool; but Bedrock takes
 * toolUse and toolResult blocks only with a toolConfig (docs/bedrock-protocol.md#p4-tool-config). So the history's calls and results
 * are told in words, in their place, and a result's images and documents are kept beside its text:
 * the model still sees what was called and what came back.
 */
export function toolBlocksAsText(messages: readonly Message[], ctx: ConversionContext): Message[] {
  return messages.map((message) => {
    const content = message.content ?? [];
    if (!content.some((block) => block.toolUse || block.toolResult)) return message;
    ctx.debugOnce("tool_choice none: the history's tool calls and results sent as text (Bedrock takes tool blocks only with a toolConfig)");
    return { ...message, content: content.flatMap((block) => asText(block, ctx)) };
  });
}

function asText(block: ContentBlock, ctx: ConversionContext): ContentBlock[] {
  if (block.toolUse) return [{ text: toolUseText(block.toolUse, ctx) }];
  if (block.toolResult) return toolResultBlocks(block.toolResult);
  return [block];
}

function toolUseText(use: ToolUseBlock, ctx: ConversionContext): string {
  return `Called the tool ${ctx.toolNames.toClient(use.name ?? "")} (call ${use.toolUseId ?? ""}) with input ${JSON.stringify(use.input ?? {})}`;
}

function toolResultBlocks(result: ToolResultBlock): ContentBlock[] {
  const heading = `${result.status === "error" ? "Error from" : "Result of"} the tool call ${result.toolUseId ?? ""}:`;
  return [{ text: heading }, ...(result.content ?? []).map(asMessageBlock)];
}

/** The result items this converter writes (tool-results.ts) have a message block of the same name. */
function asMessageBlock(item: ToolResultContentBlock): ContentBlock {
  if (item.image) return { image: item.image };
  if (item.document) return { document: item.document };
  if (item.searchResult) return { searchResult: item.searchResult };
  return { text: item.text ?? JSON.stringify(item.json ?? null) };
}
