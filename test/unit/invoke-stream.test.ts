import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { InvokeStreamRelay } from "../../src/bedrock/invoke/stream.ts";
import { chunkEvent, decodeFrames } from "../support/eventstream.ts";
import { fixtureFiles } from "../support/fixtures.ts";

const encoder = new TextEncoder();
const chunk = (event: object) => ({ chunk: { bytes: encoder.encode(JSON.stringify(event)) } });

function relayAll(relay: InvokeStreamRelay, events: { chunk: { bytes: Uint8Array } }[]) {
  return events.flatMap((e) => {
    const out = relay.push(e);
    return out ? [{ type: out.type, data: JSON.parse(out.data) as Record<string, unknown> }] : [];
  });
}

describe("the native stream relay", () => {
  test("message_start names the client's model and always carries every usage count", () => {
    const relay = new InvokeStreamRelay("claude-sonnet-4-5");
    const [start] = relayAll(relay, [chunk({ type: "message_start", message: { id: "msg_bdrk_1", model: "claude-sonnet-4-5-20250929", usage: { input_tokens: 12, output_tokens: 1 } } })]);
    expect(start?.data).toMatchObject({ message: { model: "claude-sonnet-4-5", usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } });
  });

  test("message_stop loses Bedrock's invocation metrics; usage follows message_delta", () => {
    const relay = new InvokeStreamRelay("m");
    const events = relayAll(relay, [
      chunk({ type: "message_start", message: { usage: { input_tokens: 5, cache_read_input_tokens: 100 } } }),
      chunk({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 42 } }),
      chunk({ type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 5, outputTokenCount: 40 } }),
    ]);
    expect(events.at(-1)).toEqual({ type: "message_stop", data: { type: "message_stop" } });
    expect(relay.usage).toMatchObject({ input_tokens: 5, output_tokens: 42, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 });
  });

  test("a stream that ends before message_stop is an error", () => {
    const relay = new InvokeStreamRelay("m");
    relayAll(relay, [chunk({ type: "message_start", message: { usage: { input_tokens: 5 } } }), chunk({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })]);
    expect(() => relay.end()).toThrow("before the message was complete");
    relayAll(relay, [chunk({ type: "message_stop" })]);
    expect(() => relay.end()).not.toThrow();
  });

  test("deltas go out byte for byte", () => {
    const relay = new InvokeStreamRelay("m");
    const text = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo"}}';
    expect(relay.push({ chunk: { bytes: encoder.encode(text) } })).toEqual({ type: "content_block_delta", data: text });
  });

  for (const path of fixtureFiles("bedrock-invoke-stream", ".eventstream")) {
    test(`golden: ${basename(path)} relays every event in order`, () => {
      const upstream = decodeFrames(new Uint8Array(readFileSync(path))).map((frame) => chunkEvent(frame) as { type: string; usage?: { output_tokens?: number } });
      const relay = new InvokeStreamRelay("claude-x");
      const events = relayAll(relay, upstream.map(chunk));
      expect(events.map((e) => e.type)).toEqual(upstream.map((e) => e.type));
      expect(JSON.stringify(events.at(-1)?.data)).not.toContain("invocationMetrics");
      const delta = upstream.find((e) => e.type === "message_delta");
      expect(relay.usage.output_tokens).toBe(delta?.usage?.output_tokens ?? -1);
      expect(relay.usage.input_tokens).toBeGreaterThan(0);
    });
  }
});
