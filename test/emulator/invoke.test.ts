import { describe, expect, test } from "bun:test";
import { InvokeModelCommand, InvokeModelWithResponseStreamCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { anthropicModelName } from "../../emulator/render-invoke.ts";
import { chunkEvent, decodeFrames, decoder, invokeBody, invokeToolsOf, qwen, sonnet, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

async function invoke(body: Record<string, unknown>, modelId = sonnet) {
  const response = await emulator.runtime().send(new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: "application/json" }));
  return { response, message: JSON.parse(decoder.decode(response.body)) as Record<string, unknown> };
}

async function invokeStreamEvents(body: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const response = await emulator.runtime().send(new InvokeModelWithResponseStreamCommand({ modelId: sonnet, body: JSON.stringify(body) }));
  const events: Record<string, unknown>[] = [];
  for await (const part of response.body ?? []) {
    events.push(JSON.parse(decoder.decode(part.chunk?.bytes)) as Record<string, unknown>);
  }
  return events;
}

describe("InvokeModel", () => {
  test("the default answer is an Anthropic message with Bedrock ids and token headers", async () => {
    const { message } = await invoke(invokeBody({ system: "Be brief.", messages: [{ role: "user", content: [{ type: "text", text: "Ping" }] }] }));
    expect(message["id"]).toMatch(/^msg_bdrk_01/);
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [{ type: "text", text: 'You said: "Ping"' }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: Math.ceil("Be brief.Ping".length / 4), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    const raw = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke`, invokeBody());
    expect(raw.headers.get("x-amzn-bedrock-input-token-count")).toBe("2");
    expect(raw.headers.get("x-amzn-bedrock-output-token-count")).toBe(String(Math.ceil('You said: "Hello"'.length / 4)));
    expect(raw.headers.get("x-amzn-bedrock-cache-read-input-token-count")).toBe("0");
    expect(raw.headers.get("x-amzn-bedrock-cache-write-input-token-count")).toBe("0");
    expect(raw.headers.get("x-amzn-bedrock-invocation-latency")).toMatch(/^\d+$/);
  });

  test("scripted thinking, redacted thinking (the blob's bytes), text and tool_use become Anthropic blocks", async () => {
    await emulator.queue({
      content: [
        { reasoning: { text: "hmm", signature: "sig" } },
        { redactedReasoning: "b3BhcXVl" },
        { text: "Calling a tool." },
        { toolUse: { name: "get_weather", input: { city: "Oslo" } } },
      ],
      usage: { cacheWriteInputTokens: 100 },
    });
    const { message } = await invoke(invokeBody({ tools: invokeToolsOf("get_weather") }));
    expect(message["content"]).toEqual([
      { type: "thinking", thinking: "hmm", signature: "sig" },
      { type: "redacted_thinking", data: "opaque" },
      { type: "text", text: "Calling a tool." },
      { type: "tool_use", id: expect.stringMatching(/^toolu_bdrk_01/), name: "get_weather", input: { city: "Oslo" } },
    ]);
    expect(message["stop_reason"]).toBe("tool_use");
    expect(message["usage"]).toMatchObject({ cache_creation_input_tokens: 100 });
  });

  test("tool_choice none: a scripted tool call cannot happen", async () => {
    await emulator.queue({ content: [{ toolUse: { name: "lookup", input: {} } }] });
    const { message } = await invoke(invokeBody({ tools: invokeToolsOf("lookup"), tool_choice: { type: "none" } }));
    expect(message["content"]).toEqual([{ type: "text", text: 'You said: "Hello"' }]);
    expect(message["stop_reason"]).toBe("end_turn");
  });

  test("a stop_sequence stop reports the request's stop sequence, streamed and not", async () => {
    await emulator.queue({ stopReason: "stop_sequence" }, { stopReason: "stop_sequence" });
    const { message } = await invoke(invokeBody({ stop_sequences: ["END", "STOP"] }));
    expect(message).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "END" });
    const events = await invokeStreamEvents(invokeBody({ stop_sequences: ["END"] }));
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "stop_sequence", stop_sequence: "END" } });
  });

  test("non-Claude models refuse the Anthropic body", async () => {
    const failure = await invoke(invokeBody(), qwen).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).message).toContain("extraneous key [anthropic_version]");
  });

  test("the model name drops the geography prefix, provider and version", () => {
    expect(anthropicModelName("us.anthropic.claude-opus-4-5-20251101-v1:0")).toBe("claude-opus-4-5-20251101");
    expect(anthropicModelName("anthropic.claude-sonnet-4-6")).toBe("claude-sonnet-4-6");
    expect(anthropicModelName("arn:aws:bedrock:us-east-1:1:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0")).toBe("claude-haiku-4-5-20251001");
  });
});

describe("InvokeModelWithResponseStream", () => {
  test("the default answer streams Anthropic events without pings, metrics on message_stop", async () => {
    const events = await invokeStreamEvents(invokeBody());
    expect(events.map((event) => event["type"])).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[0]).toMatchObject({
      message: { id: expect.stringMatching(/^msg_bdrk_01/), content: [], stop_reason: null, usage: { input_tokens: 2, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } },
    });
    expect(events[1]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    expect(events[4]).toEqual({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } });
    expect(events[5]).toEqual({
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": { inputTokenCount: 2, outputTokenCount: 5, invocationLatency: 0, firstByteLatency: 0 },
    });
  });

  test("scripted blocks stream as Anthropic does: thinking deltas + signature, redacted whole, tool input fragments", async () => {
    await emulator.queue({
      content: [
        { reasoning: { text: "Let me think about this carefully.", signature: "sig-1" } },
        { redactedReasoning: "b3BhcXVl" },
        { toolUse: { toolUseId: "toolu_bdrk_01abc", name: "lookup", input: { query: "a fairly long query string" } } },
      ],
      chunkChars: 10,
    });
    const events = await invokeStreamEvents(invokeBody({ tools: invokeToolsOf("lookup") }));
    const ofBlock = (index: number) => events.filter((event) => event["index"] === index);

    const thinking = ofBlock(0);
    expect(thinking[0]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } });
    const thinkingDeltas = thinking.slice(1, -2).map((event) => event["delta"] as { type: string; thinking: string });
    expect(thinkingDeltas.every((delta) => delta.type === "thinking_delta")).toBe(true);
    expect(thinkingDeltas.map((delta) => delta.thinking).join("")).toBe("Let me think about this carefully.");
    expect(thinking.at(-2)).toEqual({ type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig-1" } });

    expect(ofBlock(1)).toEqual([
      { type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: "opaque" } },
      { type: "content_block_stop", index: 1 },
    ]);

    const tool = ofBlock(2);
    expect(tool[0]).toEqual({ type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_bdrk_01abc", name: "lookup", input: {} } });
    const fragments = tool.slice(1, -1).map((event) => (event["delta"] as { partial_json: string }).partial_json);
    expect(fragments[0]).toBe("");
    expect(JSON.parse(fragments.join(""))).toEqual({ query: "a fairly long query string" });
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });

  test("each chunk frame carries base64 bytes and the padding field, with the invoke-stream header", async () => {
    const raw = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke-with-response-stream`, invokeBody());
    expect(raw.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(raw.headers.get("x-amzn-bedrock-content-type")).toBe("application/json");
    const frames = decodeFrames(new Uint8Array(await raw.arrayBuffer()));
    for (const frame of frames) {
      expect(frame.headers).toEqual([
        [":event-type", "chunk"],
        [":content-type", "application/json"],
        [":message-type", "event"],
      ]);
      expect(Object.keys(frame.payload)).toEqual(["bytes", "p"]);
    }
    expect(chunkEvent(frames[0]!)["type"]).toBe("message_start");
  });
});
