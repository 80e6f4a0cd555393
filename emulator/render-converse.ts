import { deltaTexts, generationMs, type Answer, type AnswerBlock, type Usage } from "./answer.ts";
import type { ConverseWireRequest } from "./converse-schema.ts";
import { eventFrame } from "./eventstream.ts";
import { isClaude } from "./model-rules.ts";
import type { Frame } from "./stream-response.ts";

/** An answer in Converse's shapes: the JSON body, or ConverseStream's events as real captures order them. */

/** Only Claude signs its reasoning; other models' reasoning text comes alone. */
function reasoningSignature(block: { reasoning: { signature: string } }, modelId: string): { signature?: string } {
  return isClaude(modelId) ? { signature: block.reasoning.signature } : {};
}

function converseBlock(block: AnswerBlock, modelId: string): Record<string, unknown> {
  if ("text" in block) return { text: block.text };
  if ("reasoning" in block) return { reasoningContent: { reasoningText: { ...reasoningSignature(block, modelId), text: block.reasoning.text } } };
  if ("redactedReasoning" in block) return { reasoningContent: { redactedContent: block.redactedReasoning } };
  const { input, name, toolUseId } = block.toolUse;
  return { toolUse: { input, name, toolUseId } };
}

/** Claude answers the `/stop_sequence` response-field path (the only one it has) with the matched sequence or null. */
function additionalFields(answer: Answer, request: ConverseWireRequest, modelId: string): { stop_sequence: string | null } | undefined {
  const paths = request.additionalModelResponseFieldPaths ?? [];
  return isClaude(modelId) && paths.some((path) => path.replace(/^\//, "") === "stop_sequence") ? { stop_sequence: answer.stopSequence } : undefined;
}

/** Bedrock's total counts cache reads and writes as well. */
function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens;
}

/** Claude 4 captures report an (empty) server-tool tally in every usage block. */
function serverToolUsage(modelId: string): { serverToolUsage?: Record<string, never> } {
  return isClaude(modelId) ? { serverToolUsage: {} } : {};
}

export function converseResponse(answer: Answer, request: ConverseWireRequest, modelId: string): Response {
  const { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } = answer.usage;
  const body = {
    additionalModelResponseFields: additionalFields(answer, request, modelId),
    metrics: { latencyMs: generationMs(answer) },
    output: { message: { content: answer.content.map((block) => converseBlock(block, modelId)), role: "assistant" } },
    stopReason: answer.stopReason,
    usage: {
      cacheReadInputTokenCount: cacheReadInputTokens,
      cacheReadInputTokens,
      cacheWriteInputTokenCount: cacheWriteInputTokens,
      cacheWriteInputTokens,
      inputTokens,
      outputTokens,
      ...serverToolUsage(modelId),
      totalTokens: totalTokens(answer.usage),
    },
  };
  return Response.json(body, { headers: { "x-amzn-RequestId": crypto.randomUUID() } });
}

const event = (type: string, payload: Record<string, unknown>): Frame => ({ bytes: eventFrame(type, payload), paced: false });
const delta = (contentBlockIndex: number, body: Record<string, unknown>): Frame => ({
  bytes: eventFrame("contentBlockDelta", { contentBlockIndex, delta: body }),
  paced: true,
});

/** Only toolUse blocks open with `contentBlockStart`; text and reasoning start with their first delta. */
function blockFrames(block: AnswerBlock, index: number, answer: Answer, modelId: string): Frame[] {
  const chunks = (text: string) => deltaTexts(text, answer.pacing);
  if ("text" in block) return chunks(block.text).map((text) => delta(index, { text }));
  if ("reasoning" in block) {
    const signature = reasoningSignature(block, modelId);
    return [
      ...chunks(block.reasoning.text).map((text) => delta(index, { reasoningContent: { text } })),
      ...(signature.signature === undefined ? [] : [delta(index, { reasoningContent: signature })]),
    ];
  }
  if ("redactedReasoning" in block) return [delta(index, { reasoningContent: { redactedContent: block.redactedReasoning } })];
  const { name, toolUseId, input } = block.toolUse;
  return [
    event("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { name, toolUseId } } }),
    ...["", ...chunks(JSON.stringify(input))].map((fragment) => delta(index, { toolUse: { input: fragment } })),
  ];
}

export function converseStreamFrames(answer: Answer, modelId: string): Frame[] {
  const { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } = answer.usage;
  const usage = {
    ...(cacheReadInputTokens > 0 ? { cacheReadInputTokens } : {}),
    ...(cacheWriteInputTokens > 0 ? { cacheWriteInputTokens } : {}),
    inputTokens,
    outputTokens,
    ...serverToolUsage(modelId),
    totalTokens: totalTokens(answer.usage),
  };
  return [
    event("messageStart", { role: "assistant" }),
    ...answer.content.flatMap((block, index) => [
      ...blockFrames(block, index, answer, modelId),
      event("contentBlockStop", { contentBlockIndex: index }),
    ]),
    event("messageStop", {
      ...(isClaude(modelId) ? { additionalModelResponseFields: { delta: { stop_sequence: answer.stopSequence } } } : {}),
      stopReason: answer.stopReason,
    }),
    event("metadata", { metrics: { latencyMs: generationMs(answer) }, usage }),
  ];
}
