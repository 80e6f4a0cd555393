import { describe, expect, test } from "bun:test";
import { InternalServerException, ThrottlingException, type ContentBlockDelta, type ConverseStreamOutput, type TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { StreamEvent } from "../../../../src/anthropic/messages.ts";
import { ConverseStreamTranslator } from "../../../../src/bedrock/converse/response/stream.ts";
import type { JsonDocument } from "../../../../src/bedrock/converse/json-document.ts";
import { ToolNameMap } from "../../../../src/bedrock/converse/tool-names.ts";
import { finalMessageFromSdk } from "../support/anthropic-sdk.ts";
import { expectWellFormedStream } from "../support/stream-invariants.ts";

const delta = (index: number, d: ContentBlockDelta): ConverseStreamOutput => ({ contentBlockDelta: { contentBlockIndex: index, delta: d } });
const text = (index: number, value: string) => delta(index, { text: value });
const reasoning = (index: number, value: string) => delta(index, { reasoningContent: { text: value } });
const signature = (index: number, value: string) => delta(index, { reasoningContent: { signature: value } });
const blockStop = (index: number): ConverseStreamOutput => ({ contentBlockStop: { contentBlockIndex: index } });
const toolStart = (index: number, toolUseId: string, name: string): ConverseStreamOutput => ({
  contentBlockStart: { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } },
});
const toolInput = (index: number, input: string) => delta(index, { toolUse: { input } });
const messageStop = (stopReason: "end_turn" | "tool_use" | "stop_sequence" | "max_tokens" | "guardrail_intervened", fields?: JsonDocument): ConverseStreamOutput => ({
  messageStop: { stopReason, ...(fields ? { additionalModelResponseFields: fields } : {}) },
});
const metadata = (usage: TokenUsage = { inputTokens: 12, outputTokens: 5, totalTokens: 17 }): ConverseStreamOutput => ({ metadata: { usage, metrics: { latencyMs: 1 } } });

function translator(init: Partial<ConstructorParameters<typeof ConverseStreamTranslator>[0]> = {}) {
  return new ConverseStreamTranslator({ messageId: "msg_1", model: "claude-x", inputTokensEstimate: 7, toolNames: new ToolNameMap(), ...init });
}

function run(events: ConverseStreamOutput[], init?: Parameters<typeof translator>[0]): StreamEvent[] {
  const t = translator(init);
  return [...t.start(), ...events.flatMap((event) => t.push(event)), ...t.end()];
}

const types = (events: StreamEvent[]) => events.map((event) => event.type);

describe("ConverseStreamTranslator", () => {
  test("pitfall 10: message_start always carries usage.input_tokens (the estimate) and zeros", () => {
    expect(translator().start()).toEqual([
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-x",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 7, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      },
    ]);
  });

  test("pitfall 9: a text block starts before its first delta (Bedrock sends no contentBlockStart for text)", () => {
    const events = run([{ messageStart: { role: "assistant" } }, text(0, "OK"), text(0, "."), blockStop(0), messageStop("end_turn"), metadata()]);
    expect(events.slice(1)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "OK" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "." } },
      { type: "content_block_stop", index: 0 },
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
      { type: "message_stop" },
    ]);
  });

  test("pitfall 9: blocks are keyed by contentBlockIndex and renumbered contiguously", () => {
    const events = run([text(0, "a"), blockStop(0), text(3, "b"), blockStop(3), toolStart(7, "tooluse_1", "t"), blockStop(7), messageStop("tool_use"), metadata()]);
    expectWellFormedStream(events);
    expect(events.filter((event) => event.type === "content_block_start").map((event) => event.index)).toEqual([0, 1, 2]);
  });

  test("empty text fragments start nothing; a block of only empty text is not emitted", () => {
    const events = run([text(0, ""), blockStop(0), text(1, "x"), blockStop(1), messageStop("end_turn"), metadata()]);
    expectWellFormedStream(events);
    expect(events.filter((event) => event.type === "content_block_start")).toHaveLength(1);
  });

  test("reasoning → thinking block; an empty text before the signature is skipped; the signature is a signature_delta", () => {
    const events = run([reasoning(0, "Let me"), reasoning(0, " think."), reasoning(0, ""), signature(0, "EqQBsig"), blockStop(0), text(1, "Answer"), blockStop(1), messageStop("end_turn"), metadata()]);
    expectWellFormedStream(events);
    expect(events.slice(1, 6)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Let me" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: " think." } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqQBsig" } },
      { type: "content_block_stop", index: 0 },
    ]);
  });

  test("redacted reasoning goes out whole in content_block_start, even when split over deltas", () => {
    const bytes = new TextEncoder().encode("EtkECkgIBxAB");
    const events = run([
      delta(0, { reasoningContent: { redactedContent: bytes.slice(0, 5) } }),
      delta(0, { reasoningContent: { redactedContent: bytes.slice(5) } }),
      blockStop(0),
      text(1, "Hi"),
      messageStop("end_turn"),
      metadata(),
    ]);
    expectWellFormedStream(events);
    expect(events.slice(1, 3)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "EtkECkgIBxAB" } },
      { type: "content_block_stop", index: 0 },
    ]);
  });

  test("tool use: start with restored name and input {}; empty fragments skipped; input_json_delta fragments", () => {
    const toolNames = new ToolNameMap();
    const bedrockName = toolNames.toBedrock("my.tool");
    const events = run([toolStart(0, "tooluse_abc", bedrockName), toolInput(0, ""), toolInput(0, '{"a":'), toolInput(0, "1}"), blockStop(0), messageStop("tool_use"), metadata()], { toolNames });
    expect(events.slice(1, 5)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "tooluse_abc", name: "my.tool", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"a":' } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "1}" } },
      { type: "content_block_stop", index: 0 },
    ]);
  });

  test("a tool with no input at all reaches a real client as input {}", async () => {
    const events = run([toolStart(0, "tooluse_a", "noargs"), toolInput(0, ""), blockStop(0), messageStop("tool_use"), metadata()]);
    const message = await finalMessageFromSdk(events);
    expect(message.content as unknown).toEqual([{ type: "tool_use", id: "tooluse_a", name: "noargs", input: {} }]);
  });

  test("input for a tool whose start never came, and deltas of the wrong kind, emit nothing", () => {
    const events = run([toolInput(0, '{"a":1}'), text(1, "x"), reasoning(1, "not text"), blockStop(1), messageStop("end_turn"), metadata()]);
    expectWellFormedStream(events);
    expect(events.filter((event) => event.type === "content_block_delta")).toHaveLength(1);
  });

  test("citation deltas → citations_delta on a text block (started by the citation if it comes first)", () => {
    const events = run([
      delta(0, { citation: { title: "doc", sourceContent: [{ text: "src" }], location: { documentPage: { documentIndex: 0, start: 1, end: 2 } } } }),
      text(0, "cited"),
      blockStop(0),
      messageStop("end_turn"),
      metadata(),
    ]);
    expect(events.slice(1, 4)).toEqual([
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "citations_delta", citation: { type: "page_location", cited_text: "src", document_index: 0, document_title: "doc", start_page_number: 1, end_page_number: 2 } },
      },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "cited" } },
    ]);
  });

  describe("pitfall 11: the stop reason waits for the usage", () => {
    test("messageStop emits nothing by itself; metadata emits message_delta with real usage, then message_stop", () => {
      const t = translator();
      t.start();
      t.push(text(0, "x"));
      expect(t.push(messageStop("max_tokens"))).toEqual([{ type: "content_block_stop", index: 0 }]);
      expect(t.stopReason).toBe("max_tokens");
      expect(t.usage.input_tokens).toBe(7);
      expect(t.push(metadata({ inputTokens: 2, outputTokens: 9, totalTokens: 1333, cacheReadInputTokens: 1322, cacheWriteInputTokens: 0 }))).toEqual([
        {
          type: "message_delta",
          delta: { stop_reason: "max_tokens", stop_sequence: null },
          usage: { input_tokens: 2, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 1322 },
        },
        { type: "message_stop" },
      ]);
      expect(t.usage).toEqual({ input_tokens: 2, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 1322 });
      expect(t.end()).toEqual([]);
      expect(t.push(text(5, "late"))).toEqual([]);
    });

    test("metadata before messageStop waits for it", () => {
      const t = translator();
      t.start();
      expect(t.push(metadata())).toEqual([]);
      expect(types(t.push(messageStop("end_turn")))).toEqual(["message_delta", "message_stop"]);
    });

    test("blocks still open at messageStop are stopped first", () => {
      const events = run([reasoning(0, "t"), text(1, "a"), messageStop("end_turn"), metadata()]);
      expectWellFormedStream(events);
      expect(types(events).slice(-4)).toEqual(["content_block_stop", "content_block_stop", "message_delta", "message_stop"]);
    });

    test("an upstream that ends without metadata still finishes the message (estimate usage)", () => {
      const events = run([text(0, "a"), blockStop(0), messageStop("stop_sequence", { delta: { stop_sequence: "###" } })]);
      expectWellFormedStream(events);
      expect(events.at(-2)).toEqual({
        type: "message_delta",
        delta: { stop_reason: "stop_sequence", stop_sequence: "###" },
        usage: { input_tokens: 7, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      });
    });

    test("an upstream that ends without messageStop is an error, never a turn that looks complete", () => {
      expect(() => run([text(0, "a")])).toThrow("ended the stream before the message was complete");
    });
  });

  test("stop_sequence: reported by Claude, else the only one requested", () => {
    expect(run([text(0, "a"), messageStop("stop_sequence"), metadata()], { stopSequences: ["END"] }).at(-2)).toMatchObject({ delta: { stop_sequence: "END" } });
    expect(run([text(0, "a"), messageStop("stop_sequence"), metadata()], { stopSequences: ["A", "B"] }).at(-2)).toMatchObject({ delta: { stop_sequence: null } });
    expect(run([text(0, "a"), messageStop("guardrail_intervened"), metadata()]).at(-2)).toMatchObject({ delta: { stop_reason: "refusal" } });
  });

  test("push before start() starts the message itself", () => {
    expect(types(translator().push(text(0, "a")))).toEqual(["message_start", "content_block_start", "content_block_delta"]);
  });

  test("exception members are thrown as the SDK's error classes", () => {
    const t = translator();
    t.start();
    const plain = { internalServerException: { message: "boom", name: "InternalServerException" } } as ConverseStreamOutput;
    expect(() => t.push(plain)).toThrow(InternalServerException);
    const instance = new ThrottlingException({ $metadata: {}, message: "slow down" });
    expect(() => t.push({ throttlingException: instance })).toThrow(instance);
  });

  test("unknown members are ignored", () => {
    const t = translator();
    t.start();
    expect(t.push({ $unknown: ["newEvent", {}] })).toEqual([]);
  });
});
