import type { ContentBlock, Message } from "@aws-sdk/client-bedrock-runtime";
import { invalidRequest } from "../../anthropic/errors.ts";
import type { ContentBlockParam, MessageParam } from "../../anthropic/schema.ts";
import { isCachePoint, withoutStrayCachePoints } from "./cache-points.ts";
import { toConverseContent, type Role } from "./content.ts";
import type { ConversionContext } from "./context.ts";

export interface ConvertedMessages {
  messages: Message[];
  /** Texts of `role: "system"` messages (mid-conversation system beta), for the system prompt. */
  systemTexts: string[];
}

/**
 * The conversation as Bedrock takes it: blocks converted, blank ones and emptied messages dropped,
 * consecutive same-role turns merged (roles must alternate: docs/bedrock-protocol.md#p3-alternating-roles), never an
 * empty content array (docs/bedrock-protocol.md#p2-blank-text), and a conversation that starts with the user.
 */
export function toConverseMessages(messages: readonly MessageParam[], ctx: ConversionContext): ConvertedMessages {
  const systemTexts: string[] = [];
  const converted: Message[] = [];
  messages.forEach((message, i) => {
    const blocks: ContentBlockParam[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    if (message.role === "system") {
      ctx.debug(`messages[${i}]: role "system" message moved into the system prompt`);
      systemTexts.push(...blocks.flatMap((block) => (block.type === "text" ? [block.text] : [])));
      return;
    }
    const role: Role = message.role;
    const content = withoutStrayCachePoints(
      blocks.flatMap((block, j) => toConverseContent(block, role, ctx, `messages[${i}].content[${j}]`)),
    );
    if (content.length === 0) {
      ctx.debug(`messages[${i}] (${role}) dropped: no content left to send`);
      return;
    }
    converted.push({ role, content });
  });

  const merged = mergeSameRoleTurns(converted, ctx);
  trimFinalAssistantText(merged);
  for (const message of merged) addTextBesideDocuments(message);
  if (merged.length === 0) throw invalidRequest("messages: the conversation has no content to send");
  if (merged[0]?.role !== "user") throw invalidRequest('messages: the first message must use the "user" role');
  return { messages: merged, systemTexts };
}

function mergeSameRoleTurns(messages: readonly Message[], ctx: ConversionContext): Message[] {
  const merged: Message[] = [];
  for (const message of messages) {
    const previous = merged.at(-1);
    if (previous && previous.role === message.role) {
      ctx.debugOnce("consecutive messages of the same role merged into one turn");
      previous.content = [...contentOf(previous), ...contentOf(message)];
    } else {
      merged.push({ role: message.role, content: [...contentOf(message)] });
    }
  }
  return merged;
}

/**
 * A final assistant message is a prefill the model continues; Claude refuses one that ends in
 * whitespace, and the whitespace carries no meaning, so it is trimmed (and an emptied prefill dropped).
 */
function trimFinalAssistantText(messages: Message[]): void {
  const last = messages.at(-1);
  if (!last || last.role !== "assistant") return;
  const content = contentOf(last);
  const index = content.findLastIndex((block) => !isCachePoint(block));
  const block = content[index];
  if (block?.text === undefined) return;
  const trimmed = block.text.trimEnd();
  const rest = trimmed ? [...content.slice(0, index), { text: trimmed }, ...content.slice(index + 1)] : content.slice(0, index);
  if (rest.some((item) => !isCachePoint(item))) last.content = withoutStrayCachePoints(rest);
  else messages.pop();
}

/** Bedrock refuses a document with no text beside it in the same message: name the documents in one. */
function addTextBesideDocuments(message: Message): void {
  const content = contentOf(message);
  const names = content.flatMap((block) => (block.document?.name ? [block.document.name] : []));
  if (names.length === 0 || content.some((block) => block.text !== undefined)) return;
  message.content = [...content, { text: names.join(", ") }];
}

function contentOf(message: Message): ContentBlock[] {
  return message.content ?? [];
}
