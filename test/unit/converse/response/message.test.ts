import { describe, expect, test } from "bun:test";
import type { ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import { fromConverseResponse } from "../../../../src/bedrock/converse/response/message.ts";
import { toStopReason, toStopSequence } from "../../../../src/bedrock/converse/response/stop-reason.ts";
import { ToolNameMap } from "../../../../src/bedrock/converse/tool-names.ts";
import { fromBedrockUsage } from "../../../../src/bedrock/converse/response/usage.ts";

const output = (content: unknown[], extra: Partial<ConverseCommandOutput> = {}): ConverseCommandOutput =>
  ({
    $metadata: {},
    output: { message: { role: "assistant", content } },
    stopReason: "end_turn",
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    metrics: { latencyMs: 1 },
    ...extra,
  }) as ConverseCommandOutput;

const context = { messageId: "msg_test", model: "claude-sonnet-4-5", toolNames: new ToolNameMap() };

describe("fromConverseResponse", () => {
  test("the Message envelope: id, model echoed, stop reason, usage", () => {
    expect(fromConverseResponse(output([{ text: "Hi" }]), context)).toEqual({
      id: "msg_test",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  test("reasoning, redacted reasoning, text and tool use, in order; tool names restored, ids verbatim", () => {
    const toolNames = new ToolNameMap();
    const bedrockName = toolNames.toBedrock("weird.tool/name");
    const message = fromConverseResponse(
      output(
        [
          { reasoningContent: { reasoningText: { text: "think", signature: "sig" } } },
          { reasoningContent: { reasoningText: { text: "unsigned" } } },
          { reasoningContent: { redactedContent: new TextEncoder().encode("EtkECk") } },
          { text: "" },
          { text: "Checking." },
          { toolUse: { toolUseId: "tooluse_abc", name: bedrockName, input: { q: 1 } } },
        ],
        { stopReason: "tool_use" },
      ),
      { ...context, toolNames },
    );
    expect(message.content).toEqual([
      { type: "thinking", thinking: "think", signature: "sig" },
      { type: "thinking", thinking: "unsigned", signature: "" },
      { type: "redacted_thinking", data: "EtkECk" },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "tooluse_abc", name: "weird.tool/name", input: { q: 1 } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
  });

  test("citationsContent → a text block with Anthropic citations", () => {
    const message = fromConverseResponse(
      output([
        {
          citationsContent: {
            content: [{ text: "The sky is blue." }],
            citations: [
              { title: "doc", sourceContent: [{ text: "sky is blue" }], location: { documentChar: { documentIndex: 0, start: 4, end: 15 } } },
              { title: "report", sourceContent: [{ text: "p" }], location: { documentPage: { documentIndex: 1, start: 2, end: 3 } } },
              { title: "c", sourceContent: [{ text: "k" }], location: { documentChunk: { documentIndex: 2, start: 0, end: 1 } } },
              { title: "S", source: "https://s.test", sourceContent: [{ text: "r" }], location: { searchResultLocation: { searchResultIndex: 0, start: 0, end: 1 } } },
              { title: "W", sourceContent: [{ text: "w" }], location: { web: { url: "https://w.test", domain: "w.test" } } },
              { title: "none", sourceContent: [{ text: "?" }] },
            ],
          },
        },
      ]),
      context,
    );
    expect(message.content).toEqual([
      {
        type: "text",
        text: "The sky is blue.",
        citations: [
          { type: "char_location", cited_text: "sky is blue", document_index: 0, document_title: "doc", start_char_index: 4, end_char_index: 15 },
          { type: "page_location", cited_text: "p", document_index: 1, document_title: "report", start_page_number: 2, end_page_number: 3 },
          { type: "content_block_location", cited_text: "k", document_index: 2, document_title: "c", start_block_index: 0, end_block_index: 1 },
          { type: "search_result_location", cited_text: "r", search_result_index: 0, source: "https://s.test", title: "S", start_block_index: 0, end_block_index: 1 },
          { type: "web_search_result_location", cited_text: "w", url: "https://w.test", title: "W", encrypted_index: "" },
        ],
      },
    ]);
  });

  test("stop_sequence from additionalModelResponseFields, else the only requested one", () => {
    const reported = fromConverseResponse(output([{ text: "a" }], { stopReason: "stop_sequence", additionalModelResponseFields: { stop_sequence: "END" } }), {
      ...context,
      stopSequences: ["END", "STOP"],
    });
    expect([reported.stop_reason, reported.stop_sequence]).toEqual(["stop_sequence", "END"]);
    const inferred = fromConverseResponse(output([{ text: "a" }], { stopReason: "stop_sequence" }), { ...context, stopSequences: ["###"] });
    expect(inferred.stop_sequence).toBe("###");
    const ambiguous = fromConverseResponse(output([{ text: "a" }], { stopReason: "stop_sequence" }), { ...context, stopSequences: ["a", "b"] });
    expect(ambiguous.stop_sequence).toBeNull();
    const endTurn = fromConverseResponse(output([{ text: "a" }], { additionalModelResponseFields: { stop_sequence: null } }), { ...context, stopSequences: ["x"] });
    expect(endTurn.stop_sequence).toBeNull();
  });

  test("a response with no message is an empty content list", () => {
    expect(fromConverseResponse({ ...output([]), output: undefined }, context).content).toEqual([]);
  });
});

describe("stop reasons", () => {
  test.each([
    ["end_turn", "end_turn"],
    ["tool_use", "tool_use"],
    ["max_tokens", "max_tokens"],
    ["stop_sequence", "stop_sequence"],
    ["guardrail_intervened", "refusal"],
    ["content_filtered", "refusal"],
    ["model_context_window_exceeded", "model_context_window_exceeded"],
    ["malformed_model_output", "end_turn"],
    ["malformed_tool_use", "end_turn"],
    ["some_future_reason", "end_turn"],
    ["constructor", "end_turn"],
  ])("%s → %s", (bedrock, anthropic) => {
    expect(toStopReason(bedrock)).toBe(anthropic as ReturnType<typeof toStopReason>);
  });

  test("no stop reason yet is null", () => {
    expect(toStopReason(undefined)).toBeNull();
  });

  test("the stream's messageStop shape (delta.stop_sequence) is read too", () => {
    expect(toStopSequence("stop_sequence", { delta: { stop_sequence: "##" } }, undefined)).toBe("##");
    expect(toStopSequence("end_turn", { delta: { stop_sequence: null } }, ["x"])).toBeNull();
  });
});

describe("usage", () => {
  test("cache counts map one to one; missing ones are 0", () => {
    expect(fromBedrockUsage({ inputTokens: 2, outputTokens: 5, totalTokens: 1329, cacheWriteInputTokens: 1322 })).toEqual({
      input_tokens: 2,
      output_tokens: 5,
      cache_creation_input_tokens: 1322,
      cache_read_input_tokens: 0,
    });
    expect(fromBedrockUsage(undefined, 42)).toEqual({ input_tokens: 42, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});
