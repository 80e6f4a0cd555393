import { base64FromBytes, utf8Bytes, utf8Text } from "./encoding.ts";

/**
 * Anthropic's `redacted_thinking.data` is an opaque base64 string. Captured Bedrock streams show that
 * Converse's `redactedContent` blob holds the UTF-8 bytes OF THAT STRING (the blob decodes to "Etk…",
 * the same shape the Anthropic API and InvokeModel return as `data`), not the bytes the string encodes.
 * Mapping text ↔ bytes this way keeps `data` identical across the Converse and InvokeModel paths and
 * lets a client replay it unmodified (docs/bedrock-protocol.md#p15-redacted-bytes).
 */
export function redactedContentFromData(data: string): Uint8Array {
  return utf8Bytes(data);
}

/** Blobs that are not text (no model seen so far sends them) fall back to base64 so nothing is lost. */
export function dataFromRedactedContent(bytes: Uint8Array): string {
  return utf8Text(bytes) ?? base64FromBytes(bytes);
}
