import type { ContentBlock as BedrockContentBlock, ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import type { Citation, ContentBlock, Message } from "../../../anthropic/messages.ts";
import { toAnthropicCitation } from "./citations.ts";
import { dataFromRedactedContent } from "../redacted-thinking.ts";
import { toStopReason, toStopSequence } from "./stop-reason.ts";
import type { ToolNameMap } from "../tool-names.ts";
import { fromBedrockUsage } from "./usage.ts";

export interface ResponseContext {
  messageId: string;
  /** The client's model name, echoed back. */
  model: string;
  toolNames: ToolNameMap;
  /** The request's stop sequences, to name the one that matched when Bedrock does not. */
  stopSequences?: readonly string[] | undefined;
}

/** A Converse response as the Anthropic Message the client asked for. */
export function fromConverseResponse(output: ConverseCommandOutput, context: ResponseContext): Message {
  const blocks = output.output?.message?.content ?? [];
  return {
    id: context.messageId,
    type: "message",
    role: "assistant",
    model: context.model,
    content: blocks.flatMap((block) => fromConverseBlock(block, context.toolNames)),
    stop_reason: toStopReason(output.stopReason),
    stop_sequence: toStopSequence(output.stopReason, output.additionalModelResponseFields, context.stopSequences),
    usage: fromBedrockUsage(output.usage),
  };
}

/** Blocks an assistant turn can hold; anything else (images, guard content…) has no Anthropic form. */
function fromConverseBlock(block: BedrockContentBlock, toolNames: ToolNameMap): ContentBlock[] {
  // Empty text says nothing, and clients would send it back as a blank block Bedrock refuses.
  if (block.text !== undefined) return block.text ? [{ type: "text", text: block.text }] : [];
  if (block.citationsContent) {
    const text = (block.citationsContent.content ?? []).map((part) => part.text ?? "").join("");
    const citations = (block.citationsContent.citations ?? []).flatMap((citation): Citation[] => {
      const converted = toAnthropicCitation(citation);
      return converted ? [converted] : [];
    });
    return [{ type: "text", text, citations }];
  }
  const reasoning = block.reasoningContent;
  if (reasoning?.reasoningText) {
    return [{ type: "thinking", thinking: reasoning.reasoningText.text ?? "", signature: reasoning.reasoningText.signature ?? "" }];
  }
  if (reasoning?.redactedContent) return [{ type: "redacted_thinking", data: dataFromRedactedContent(reasoning.redactedContent) }];
  if (block.toolUse) {
    return [
      {
        type: "tool_use",
        // Bedrock's id verbatim: the client sends it back in its tool_result (docs/bedrock-protocol.md#p13-tool-ids).
        id: block.toolUse.toolUseId ?? "",
        name: toolNames.toClient(block.toolUse.name ?? ""),
        input: block.toolUse.input ?? {},
      },
    ];
  }
  return [];
}
