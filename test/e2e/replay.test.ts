import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../lib/log.ts";
import { type RunningProxy, startServer } from "../../src/server.ts";
import { chunkEvent, decodeFrames, type DecodedFrame, header } from "../support/eventstream.ts";
import { fixtureFiles, ownFixtures } from "../support/fixtures.ts";
import { sdkClient } from "../support/stack.ts";

/**
 * Golden tests over recorded Bedrock streams (our own fixtures, and the workspace's captures of real
 * traffic when present): a tiny server answers with the recorded event-stream bytes as they are (CRCs
 * and padding included), the real AWS SDK inside the proxy decodes them, and the official Anthropic
 * SDK must rebuild the same message.
 */

let replayBody = new Uint8Array(new ArrayBuffer(0));
let replay: ReturnType<typeof Bun.serve>;
let proxy: RunningProxy;
let client: Anthropic;

beforeAll(async () => {
  replay = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => new Response(replayBody, { headers: { "content-type": "application/vnd.amazon.eventstream" } }),
  });
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "error",
    BEDROCK_ENDPOINT: replay.url.href.replace(/\/$/, ""),
    AWS_BEARER_TOKEN_BEDROCK: "replay",
    SQLITE_PATH: ":memory:",
    AUTH_MODE: "open",
    MODEL_MAP: JSON.stringify({ "converse-replay": "replay.converse-model-v1:0" }),
  });
  proxy = await startServer(config, createLogger("error"));
  client = sdkClient(proxy.url);
});
afterAll(async () => {
  await proxy.stop();
  replay.stop(true);
});

const frames = (path: string) => decodeFrames(new Uint8Array(readFileSync(path)));

/** What Anthropic's SDK builds from the Anthropic events Bedrock carried inside its chunks. */
async function accumulateAnthropicEvents(events: string[]): Promise<Anthropic.Message> {
  // fromReadableStream reads newline-delimited JSON events.
  const stream = MessageStream.fromReadableStream(new Response(events.join("\n")).body as ReadableStream);
  return stream.finalMessage();
}

describe("replayed native (InvokeModel) streams", () => {
  for (const path of fixtureFiles("bedrock-invoke-stream", ".eventstream")) {
    test(basename(path), async () => {
      replayBody = new Uint8Array(readFileSync(path));
      const proxied = await client.messages.stream({ model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "x" }] }).finalMessage();
      const direct = await accumulateAnthropicEvents(frames(path).map((frame) => JSON.stringify(chunkEvent(frame))));
      expect(proxied.content as unknown[]).toEqual(direct.content);
      expect(proxied.stop_reason).toBe(direct.stop_reason);
      expect(proxied.usage.output_tokens).toBe(direct.usage.output_tokens);
      expect(proxied.usage.input_tokens).toBe(direct.usage.input_tokens);
      expect(proxied.model).toBe("claude-sonnet-4-6");
    });
  }
});

/** The content Bedrock's Converse events describe, block by block. */
function expectedConverseContent(decoded: DecodedFrame[]) {
  const blocks = new Map<number, { text: string; reasoning: string; signature?: string; redacted?: string; tool?: { id: string; name: string; input: string } }>();
  const block = (index: number) => blocks.get(index) ?? blocks.set(index, { text: "", reasoning: "" }).get(index)!;
  for (const frame of decoded) {
    const payload = frame.payload as {
      contentBlockIndex?: number;
      start?: { toolUse?: { toolUseId: string; name: string } };
      delta?: { text?: string; toolUse?: { input: string }; reasoningContent?: { text?: string; signature?: string; redactedContent?: string } };
    };
    const index = payload.contentBlockIndex ?? -1;
    if (payload.start?.toolUse) block(index).tool = { id: payload.start.toolUse.toolUseId, name: payload.start.toolUse.name, input: "" };
    const delta = payload.delta;
    if (!delta) continue;
    if (delta.text !== undefined) block(index).text += delta.text;
    if (delta.toolUse) {
      const tool = block(index).tool;
      if (tool) tool.input += delta.toolUse.input;
    }
    if (delta.reasoningContent?.text !== undefined) block(index).reasoning += delta.reasoningContent.text;
    if (delta.reasoningContent?.signature) block(index).signature = delta.reasoningContent.signature;
    if (delta.reasoningContent?.redactedContent) block(index).redacted = delta.reasoningContent.redactedContent;
  }
  return [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, b]) => {
      if (b.tool) return { type: "tool_use", id: b.tool.id, name: b.tool.name, input: b.tool.input ? JSON.parse(b.tool.input) : {} };
      // Converse carries the redacted data as a blob whose bytes are Anthropic's base64 text.
      if (b.redacted !== undefined) return { type: "redacted_thinking", data: Buffer.from(b.redacted, "base64").toString("utf8") };
      if (b.signature !== undefined || b.reasoning) return { type: "thinking", thinking: b.reasoning, signature: b.signature ?? "" };
      return { type: "text", text: b.text };
    });
}

describe("replayed Converse streams", () => {
  for (const path of fixtureFiles("bedrock-converse-stream", ".eventstream")) {
    test(basename(path), async () => {
      replayBody = new Uint8Array(readFileSync(path));
      const decoded = frames(path);
      const proxied = await client.messages.stream({ model: "converse-replay", max_tokens: 100, messages: [{ role: "user", content: "x" }] }).finalMessage();
      const expected = expectedConverseContent(decoded);
      expect(proxied.content.map((b) => (b.type === "text" ? { type: "text", text: b.text } : b))).toEqual(expected as Anthropic.ContentBlock[]);
      const metadata = decoded.find((f) => header(f, ":event-type") === "metadata");
      const usage = (metadata?.payload as { usage?: { inputTokens: number; outputTokens: number } } | undefined)?.usage;
      expect(proxied.usage.input_tokens).toBe(usage?.inputTokens ?? -1);
      expect(proxied.usage.output_tokens).toBe(usage?.outputTokens ?? -1);
      const stop = decoded.find((f) => header(f, ":event-type") === "messageStop");
      expect(proxied.stop_reason).toBe(stop?.payload["stopReason"] as Anthropic.StopReason);
    });
  }
});

/** The first `count` frames of an event stream (each frame starts with its own total length). */
function firstFrames(bytes: Uint8Array, count: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = 0;
  for (let i = 0; i < count; i++) end += view.getUint32(end);
  return bytes.slice(0, end);
}

describe("cut and corrupted streams are errors, never answers that look complete", () => {
  const capture = join(ownFixtures, "bedrock-invoke-stream", "text-then-two-tools.eventstream");
  const ask = (model: string) => client.messages.stream({ model, max_tokens: 100, messages: [{ role: "user", content: "x" }] }).finalMessage();

  test("a stream cut at a frame boundary before message_stop", async () => {
    replayBody = new Uint8Array(firstFrames(new Uint8Array(readFileSync(capture)), 5));
    expect(String(await ask("claude-sonnet-4-6").catch((e: unknown) => e))).toContain("before the message was complete");
  });

  test("a stream cut in the middle of a frame", async () => {
    const whole = new Uint8Array(readFileSync(capture));
    replayBody = whole.slice(0, firstFrames(whole, 5).byteLength + 20);
    expect(String(await ask("claude-sonnet-4-6").catch((e: unknown) => e))).toContain("Truncated event message")
  });

  test("a frame whose CRC does not match", async () => {
    const corrupted = new Uint8Array(readFileSync(capture));
    const secondFrame = firstFrames(corrupted, 1).byteLength;
    corrupted[secondFrame + 20] = (corrupted[secondFrame + 20] ?? 0) ^ 0xff;
    replayBody = corrupted;
    expect(String(await ask("claude-sonnet-4-6").catch((e: unknown) => e))).toContain("checksum")
  });

  test("a Converse stream cut before messageStop", async () => {
    const { eventFrame } = await import("../../emulator/eventstream.ts");
    replayBody = new Uint8Array(Buffer.concat([eventFrame("messageStart", { role: "assistant" }), eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "half an ans" } })]));
    expect(String(await ask("converse-replay").catch((e: unknown) => e))).toContain("before the message was complete");
  });
});
