import type { ContentBlock, ConverseCommandOutput, ConverseResponse, ConverseStreamCommandInput, ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { StreamFrame } from "../runtime/event-stream.ts";
import { base64FromBytes, bytesFromBase64 } from "./encoding.ts";

/**
 * Converse's JSON as the SDK writes and reads it (restJson1): the model id goes in the path, every
 * other member in the body, blobs (image, document and video bytes, redacted reasoning) as base64,
 * documents (tool schemas, additional model fields) as plain JSON. The SDK writes members in its
 * schema's order, this writes them in the input's: the same JSON, key order aside
 * (test/unit/bedrock-runtime-http.test.ts compares the two through the emulator).
 */

export function converseBody(input: ConverseStreamCommandInput): string {
  const { modelId: _inPath, ...body } = input;
  return JSON.stringify(body, blobsAsBase64);
}

/** Reads the holder's own value: a Buffer's `toJSON` has already run on `value` by the time a replacer sees it. */
function blobsAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return original instanceof Uint8Array ? base64FromBytes(original) : value;
}

/** The one blob of an answer the conversion reads: redacted reasoning, in a block or a stream delta. */
interface WireReasoning {
  reasoningContent?: { redactedContent?: unknown };
}

function reviveRedacted<T extends WireReasoning>(block: T): T {
  const redacted = block.reasoningContent?.redactedContent;
  return typeof redacted === "string" ? { ...block, reasoningContent: { ...block.reasoningContent, redactedContent: bytesFromBase64(redacted) } } : block;
}

export function converseOutput(json: string): ConverseCommandOutput {
  const response = JSON.parse(json) as ConverseResponse & { output?: { message?: { content?: (ContentBlock & WireReasoning)[] } } };
  const message = response.output?.message;
  if (!message?.content) return { ...response, $metadata: {} };
  return { ...response, output: { message: { ...message, content: message.content.map(reviveRedacted) } }, $metadata: {} };
}

export function converseStreamEvent(frame: StreamFrame): ConverseStreamOutput {
  const payload = JSON.parse(frame.json) as Record<string, unknown> & { delta?: WireReasoning };
  if (frame.type === "contentBlockDelta" && payload.delta) payload.delta = reviveRedacted(payload.delta);
  return { [frame.type]: payload } as unknown as ConverseStreamOutput;
}
