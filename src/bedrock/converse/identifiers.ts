import { createHash } from "node:crypto";

/** Bedrock's pattern for tool names and toolUseIds. */
const bedrockIdentifier = /^[a-zA-Z0-9_-]{1,64}$/;
const hashLength = 10;

export function isBedrockIdentifier(value: string): boolean {
  return bedrockIdentifier.test(value);
}

/**
 * A legal Bedrock identifier for `value`: legal values pass VERBATIM (Bedrock's `tooluse_…` ids and
 * Anthropic's `toolu_…` ids stay as they are, docs/bedrock-protocol.md#p13-tool-ids); others are
 * cleaned and suffixed with a hash of the original, so the mapping is deterministic (a tool_use and its tool_result, a tool definition
 * and its use in history, all map alike) and two different originals do not collide.
 */
export function toBedrockIdentifier(value: string): string {
  if (isBedrockIdentifier(value)) return value;
  const hash = createHash("sha256").update(value).digest("hex").slice(0, hashLength);
  const cleaned = value.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64 - hashLength - 1);
  return `${cleaned}_${hash}`;
}
