import type { Message } from "@aws-sdk/client-bedrock-runtime";
import { invalidRequest } from "../../../anthropic/errors.ts";

/**
 * Every toolUse must be answered by a toolResult in the very next (user) message, and every toolResult
 * must answer a toolUse of the message before it (docs/bedrock-protocol.md#p5-tool-result-pairing).
 * Bedrock refuses such histories with an opaque validation error; the client gets a 400 that names
 * the ids instead.
 * Checked on the merged conversation, because merging is what decides what "next message" means.
 */
export function assertToolResultsFollowToolUses(messages: readonly Message[]): void {
  messages.forEach((message, i) => {
    const content = message.content ?? [];
    if (message.role === "assistant") {
      const uses = content.flatMap((block) => (block.toolUse?.toolUseId ? [block.toolUse.toolUseId] : []));
      if (uses.length === 0) return;
      const answered = new Set(toolResultIds(messages[i + 1]));
      const unanswered = uses.filter((id) => !answered.has(id));
      if (unanswered.length > 0) {
        throw invalidRequest(
          `messages: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(", ")}. ` +
            "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        );
      }
    } else {
      const previous = messages[i - 1];
      const asked = new Set((previous?.content ?? []).flatMap((block) => (block.toolUse?.toolUseId ? [block.toolUse.toolUseId] : [])));
      const unexpected = toolResultIds(message).filter((id) => !asked.has(id));
      if (unexpected.length > 0) {
        throw invalidRequest(
          `messages: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(", ")}. ` +
            "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        );
      }
    }
  });
}

function toolResultIds(message: Message | undefined): string[] {
  if (message?.role !== "user") return [];
  return (message.content ?? []).flatMap((block) => (block.toolResult?.toolUseId ? [block.toolResult.toolUseId] : []));
}
