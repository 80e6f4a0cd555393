import type { ContentBlockParam, CountTokensRequest, MessageParam } from "./schema.ts";

/**
 * The local token estimate, used where Bedrock cannot count (models without CountTokens) and for
 * `message_start` on Converse streams, whose real input count arrives only at the end.
 * About four characters a token for text and JSON (the ratio Anthropic documents for English
 * and code), plus fixed costs Anthropic publishes: an image of ~1.15 megapixels is ~1,600
 * tokens, a PDF page ~1,500-3,000; with no page count at hand we take a flat 1,600 per image
 * and 2,000 per document.
 */

const charsPerToken = 4;
const imageTokens = 1_600;
const documentTokens = 2_000;
/** Role markers and block framing cost a few tokens each. */
const perMessageTokens = 4;

export function estimateInputTokens(request: CountTokensRequest): number {
  let chars = 0;
  let fixed = 0;
  const system = request.system;
  if (typeof system === "string") chars += system.length;
  else for (const block of system ?? []) chars += block.text.length;
  for (const message of request.messages) {
    fixed += perMessageTokens;
    const counted = countMessage(message);
    chars += counted.chars;
    fixed += counted.fixed;
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.max(1, Math.ceil(chars / charsPerToken) + fixed);
}

function countMessage(message: MessageParam): { chars: number; fixed: number } {
  if (typeof message.content === "string") return { chars: message.content.length, fixed: 0 };
  return message.content.reduce((sum, block) => add(sum, countBlock(block)), { chars: 0, fixed: 0 });
}

function add(a: { chars: number; fixed: number }, b: { chars: number; fixed: number }) {
  return { chars: a.chars + b.chars, fixed: a.fixed + b.fixed };
}

function countBlock(block: ContentBlockParam): { chars: number; fixed: number } {
  switch (block.type) {
    case "text":
      return { chars: block.text.length, fixed: 0 };
    case "image":
      return { chars: 0, fixed: imageTokens };
    case "document":
      return block.source.type === "text" ? { chars: block.source.data.length, fixed: 0 } : { chars: 0, fixed: documentTokens };
    case "thinking":
      return { chars: block.thinking.length, fixed: 0 };
    case "tool_use":
      return { chars: block.name.length + JSON.stringify(block.input ?? {}).length, fixed: 0 };
    case "tool_result":
      if (typeof block.content === "string") return { chars: block.content.length, fixed: 0 };
      return (block.content ?? []).reduce((sum, inner) => add(sum, countBlock(inner)), { chars: 0, fixed: 0 });
    default:
      return { chars: JSON.stringify(block).length, fixed: 0 };
  }
}
