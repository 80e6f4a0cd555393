import type { ContentBlock, Message } from "@aws-sdk/client-bedrock-runtime";
import { invalidRequest } from "../../../anthropic/errors.ts";
import type { ContentBlockParam } from "../../../anthropic/schema.ts";
import type { Turn } from "../../prepare.ts";
import { isCachePoint, withoutStrayCachePoints } from "./cache-points.ts";
import { toConverseContent } from "./content.ts";
import type { ConversionContext } from "./context.ts";

/**
 * The prepared conversation as Bedrock takes it: blocks converted, cachePoints that mark nothing
 * removed, and a conversation that starts with the user. prepareRequest has already folded system
 * messages, dropped the turns Converse can send nothing of, and merged turns (roles must alternate,
 * docs/bedrock-protocol.md#p3-alternating-roles), so no turn comes out empty (docs/bedrock-protocol.md#p2-blank-text).
 */
export function toConverseMessages(messages: readonly Turn[], ctx: ConversionContext): Message[] {
  const converted = messages.map((message, i): Message => {
    const blocks: ContentBlockParam[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    const content = withoutStrayCachePoints(blocks.flatMap((block, j) => toConverseContent(block, message.role, ctx, `messages[${i}].content[${j}]`)));
    return { role: message.role, content };
  });
  trimFinalAssistantText(converted);
  for (const message of converted) addTextBesideDocuments(message);
  if (converted.length === 0) throw invalidRequest("messages: the conversation has no content to send");
  if (converted[0]?.role !== "user") throw invalidRequest('messages: the first message must use the "user" role');
  return converted;
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
