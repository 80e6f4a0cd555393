import { deltaTexts, generationMs, type Answer, type AnswerBlock } from "./answer.ts";
import { eventFrameRaw, padding } from "./eventstream.ts";
import { invokeMessageId } from "./ids.ts";
import type { Frame } from "./stream-response.ts";

/**
 * An answer in Claude's native shapes (InvokeModel): the Messages response body with its token-count
 * headers, or the stream of `chunk` frames carrying base64 Anthropic events (no pings, as Bedrock).
 */

/** The Anthropic model name inside a Bedrock id: `us.anthropic.claude-x-20250101-v1:0` → `claude-x-20250101`. */
export function anthropicModelName(modelId: string): string {
  const id = modelId.slice(modelId.lastIndexOf("/") + 1);
  return id.replace(/^([a-z-]+\.)?anthropic\./, "").replace(/-v\d+(:\d+)?$/, "");
}

/**
 * A scripted redacted block is Converse's wire value: the base64 of a blob whose bytes are Anthropic's
 * own `data` text (real captures decode to Anthropic's `Et…` strings), so Claude's native API sends that text.
 */
function redactedData(redactedReasoning: string): string {
  return Buffer.from(redactedReasoning, "base64").toString("utf8");
}

function messageBlock(block: AnswerBlock): Record<string, unknown> {
  if ("text" in block) return { type: "text", text: block.text };
  if ("reasoning" in block) return { type: "thinking", thinking: block.reasoning.text, signature: block.reasoning.signature };
  if ("redactedReasoning" in block) return { type: "redacted_thinking", data: redactedData(block.redactedReasoning) };
  return { type: "tool_use", id: block.toolUse.toolUseId, name: block.toolUse.name, input: block.toolUse.input };
}

function anthropicUsage(answer: Answer, outputTokens: number): Record<string, number> {
  return {
    input_tokens: answer.usage.inputTokens,
    cache_creation_input_tokens: answer.usage.cacheWriteInputTokens,
    cache_read_input_tokens: answer.usage.cacheReadInputTokens,
    output_tokens: outputTokens,
  };
}

export function invokeResponse(answer: Answer, modelId: string): Response {
  const body = {
    id: invokeMessageId(),
    type: "message",
    role: "assistant",
    model: anthropicModelName(modelId),
    content: answer.content.map(messageBlock),
    stop_reason: answer.stopReason,
    stop_sequence: answer.stopSequence,
    usage: anthropicUsage(answer, answer.usage.outputTokens),
  };
  return Response.json(body, {
    headers: {
      "x-amzn-RequestId": crypto.randomUUID(),
      "X-Amzn-Bedrock-Input-Token-Count": String(answer.usage.inputTokens),
      "X-Amzn-Bedrock-Output-Token-Count": String(answer.usage.outputTokens),
      "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": String(answer.usage.cacheReadInputTokens),
      "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": String(answer.usage.cacheWriteInputTokens),
      "X-Amzn-Bedrock-Invocation-Latency": String(generationMs(answer)),
    },
  });
}

/** Base64 and the padding alphabet need no JSON escaping, so the chunk payload is built as a string. */
function chunk(event: Record<string, unknown>, paced = false): Frame {
  const bytes = Buffer.from(JSON.stringify(event)).toString("base64");
  return { bytes: eventFrameRaw("chunk", `{"bytes":"${bytes}","p":"${padding()}"}`), paced };
}

const blockDelta = (index: number, delta: Record<string, unknown>): Frame => chunk({ type: "content_block_delta", index, delta }, true);

function blockFrames(block: AnswerBlock, index: number, answer: Answer): Frame[] {
  const chunks = (text: string) => deltaTexts(text, answer.pacing);
  const start = (contentBlock: Record<string, unknown>) => chunk({ type: "content_block_start", index, content_block: contentBlock });
  if ("text" in block) {
    return [start({ type: "text", text: "" }), ...chunks(block.text).map((text) => blockDelta(index, { type: "text_delta", text }))];
  }
  if ("reasoning" in block) {
    return [
      start({ type: "thinking", thinking: "", signature: "" }),
      ...chunks(block.reasoning.text).map((thinking) => blockDelta(index, { type: "thinking_delta", thinking })),
      blockDelta(index, { type: "signature_delta", signature: block.reasoning.signature }),
    ];
  }
  if ("redactedReasoning" in block) return [start({ type: "redacted_thinking", data: redactedData(block.redactedReasoning) })];
  const { toolUseId, name, input } = block.toolUse;
  return [
    start({ type: "tool_use", id: toolUseId, name, input: {} }),
    ...["", ...chunks(JSON.stringify(input))].map((partial_json) => blockDelta(index, { type: "input_json_delta", partial_json })),
  ];
}

export function invokeStreamFrames(answer: Answer, modelId: string): Frame[] {
  const message = {
    id: invokeMessageId(),
    type: "message",
    role: "assistant",
    model: anthropicModelName(modelId),
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: anthropicUsage(answer, 1),
  };
  return [
    chunk({ type: "message_start", message }),
    ...answer.content.flatMap((block, index) => [...blockFrames(block, index, answer), chunk({ type: "content_block_stop", index })]),
    chunk({
      type: "message_delta",
      delta: { stop_reason: answer.stopReason, stop_sequence: answer.stopSequence },
      usage: { output_tokens: answer.usage.outputTokens },
    }),
    chunk({
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": {
        inputTokenCount: answer.usage.inputTokens,
        outputTokenCount: answer.usage.outputTokens,
        invocationLatency: generationMs(answer),
        firstByteLatency: Math.round(answer.pacing.firstByteDelayMs),
      },
    }),
  ];
}

/** InvokeModelWithResponseStream adds this header to the event-stream response. */
export const invokeStreamHeaders = { "X-Amzn-Bedrock-Content-Type": "application/json" };
