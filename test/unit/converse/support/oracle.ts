/**
 * An independent, deliberately naive reading of a ConverseStream: the content a client should end up
 * with, built straight from Bedrock's events. Golden tests compare it with what the official Anthropic
 * SDK reconstructs from our translation.
 */
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { toAnthropicCitation } from "../../../../src/bedrock/converse/response/citations.ts";
import type { ToolNameMap } from "../../../../src/bedrock/converse/tool-names.ts";

interface Accumulated {
  text: string;
  citations: unknown[];
  reasoning?: string;
  signature?: string;
  redacted: number[];
  tool?: { id: string; name: string; json: string };
}

export function expectedContent(events: readonly ConverseStreamOutput[], toolNames: ToolNameMap): unknown[] {
  const blocks = new Map<number, Accumulated>();
  const at = (index: number | undefined) => {
    const key = index ?? 0;
    if (!blocks.has(key)) blocks.set(key, { text: "", citations: [], redacted: [] });
    return blocks.get(key) as Accumulated;
  };
  for (const event of events) {
    const start = event.contentBlockStart;
    if (start?.start?.toolUse) at(start.contentBlockIndex).tool = { id: start.start.toolUse.toolUseId ?? "", name: start.start.toolUse.name ?? "", json: "" };
    const delta = event.contentBlockDelta;
    if (!delta?.delta) continue;
    const block = at(delta.contentBlockIndex);
    const d = delta.delta;
    if (d.text !== undefined) block.text += d.text;
    if (d.citation) block.citations.push(toAnthropicCitation(d.citation));
    if (d.toolUse && block.tool) block.tool.json += d.toolUse.input ?? "";
    if (d.reasoningContent?.text !== undefined) block.reasoning = (block.reasoning ?? "") + d.reasoningContent.text;
    if (d.reasoningContent?.signature !== undefined) block.signature = d.reasoningContent.signature;
    if (d.reasoningContent?.redactedContent) block.redacted.push(...d.reasoningContent.redactedContent);
  }
  return [...blocks.values()].flatMap((block): unknown[] => {
    if (block.tool) return [{ type: "tool_use", id: block.tool.id, name: toolNames.toClient(block.tool.name), input: block.tool.json ? JSON.parse(block.tool.json) : {} }];
    if (block.redacted.length > 0) return [{ type: "redacted_thinking", data: new TextDecoder().decode(new Uint8Array(block.redacted)) }];
    if (block.reasoning !== undefined || block.signature !== undefined) return [{ type: "thinking", thinking: block.reasoning ?? "", signature: block.signature ?? "" }];
    if (block.text || block.citations.length > 0) return [{ type: "text", text: block.text, ...(block.citations.length > 0 ? { citations: block.citations } : {}) }];
    return [];
  });
}
