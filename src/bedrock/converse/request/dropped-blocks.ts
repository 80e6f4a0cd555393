import type { ContentBlockParam, MessageParam } from "../../../anthropic/schema.ts";
import type { ResolvedModel } from "../../models.ts";

/** The roles of a prepared conversation (prepareRequest folds `system` messages away). */
export type Role = "user" | "assistant";

/** Why a block is not sent; `perRequest` notes are given once per request, the others once per block. */
export interface Drop {
  note: string;
  perRequest?: boolean;
}

/**
 * The blocks Converse cannot carry for a model, and that can go without changing the meaning:
 * blank text (Bedrock refuses it, docs/bedrock-protocol.md#p2-blank-text, and it says nothing), reasoning in a user turn or for a
 * model that takes none, a search result without text. The converter drops them one by one;
 * prepareRequest drops a turn that holds nothing else, before it merges turns.
 */
export function droppedOnConverse(block: ContentBlockParam, role: Role, model: ResolvedModel): Drop | undefined {
  switch (block.type) {
    case "text":
      return isBlank(block.text) ? { note: "blank text block dropped" } : undefined;
    case "thinking":
    case "redacted_thinking":
      if (role !== "assistant") return { note: `\`${block.type}\` block in a user message dropped` };
      if (!takesBack(block.type, model)) return { note: `\`${block.type}\` blocks dropped: model ${model.requested} does not take reasoning content back`, perRequest: true };
      return undefined;
    case "search_result":
      return hasText(block) ? undefined : { note: `search_result "${block.title}" dropped: it has no text` };
    default:
      return undefined;
  }
}

/** Whether nothing of the turn would reach Converse. */
export function sendsNothing(turn: { role: Role; content: MessageParam["content"] }, model: ResolvedModel): boolean {
  if (typeof turn.content === "string") return isBlank(turn.content);
  return turn.content.every((block) => droppedOnConverse(block, turn.role, model) !== undefined);
}

export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

export function hasText(block: Extract<ContentBlockParam, { type: "search_result" }>): boolean {
  return block.content.some((item) => !isBlank(item.text));
}

/**
 * Whether the model takes earlier reasoning back: Claude signs its own and verifies it; another
 * reasoning model by its profile's replay rule (src/bedrock/reasoning.ts), as text, never redacted.
 */
function takesBack(type: "thinking" | "redacted_thinking", model: ResolvedModel): boolean {
  if (model.profile.thinking) return true;
  return type === "thinking" && model.profile.reasoning?.replay === "unsigned";
}
