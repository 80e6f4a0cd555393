import type { MessageParam } from "../anthropic/schema.ts";

/**
 * Where the conversation first holds a programmatic tool calling block (a code tool call shown as
 * `server_tool_use`, a `code_execution_tool_result`, a tool_use made from code), as a field path for a 400.
 * The code tool's name is unknown without the tool, so a server_tool_use counts by its conventional name.
 */
export function holdsPtcBlocks(messages: readonly MessageParam[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (typeof message.content === "string") continue;
    const j = message.content.findIndex(
      (block) =>
        (block.type === "server_tool_use" && block.name === "code_execution") ||
        block.type === "code_execution_tool_result" ||
        (block.type === "tool_use" && block.caller !== undefined && block.caller.type !== "direct"),
    );
    if (j >= 0) return `messages.${i}.content.${j}`;
  }
  return undefined;
}
