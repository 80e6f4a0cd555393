import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ownFixtures, sharedFixtureDir } from "../support/fixtures.ts";
import { chunkEvent, codec, decodeFrames, header, sonnet, splitFrames, userText, useEmulator, type DecodedFrame } from "./helpers.ts";

const emulator = useEmulator();
const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const isPadding = (value: unknown) => typeof value === "string" && value.length > 0 && alphabet.startsWith(value);

async function rawConverseStream(text = "OK."): Promise<Uint8Array> {
  await emulator.queue({ content: [{ text }], chunkChars: 2 });
  const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/converse-stream`, { messages: [userText("Reply with exactly OK.")] });
  expect(response.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
  return new Uint8Array(await response.arrayBuffer());
}

const eventTypes = (frames: DecodedFrame[]) => frames.map((frame) => header(frame, ":event-type"));
const headerNames = (frame: DecodedFrame) => frame.headers.map(([name]) => name);

describe("event-stream framing", () => {
  test("every frame decodes with the smithy codec, so prelude and message CRCs are real", async () => {
    const frames = decodeFrames(await rawConverseStream());
    expect(eventTypes(frames)).toEqual(["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);
  });

  test("a corrupted byte is caught by the codec's CRC check", async () => {
    const [first] = splitFrames(await rawConverseStream());
    const corrupted = Uint8Array.from(first!);
    corrupted[corrupted.length - 8] = corrupted[corrupted.length - 8]! ^ 0xff;
    expect(() => codec.decode(corrupted)).toThrow(/checksum/i);
  });

  test("headers come as :event-type, :content-type, :message-type, all strings", async () => {
    const [first] = splitFrames(await rawConverseStream());
    const message = codec.decode(first!);
    expect(Object.entries(message.headers)).toEqual([
      [":event-type", { type: "string", value: "messageStart" }],
      [":content-type", { type: "string", value: "application/json" }],
      [":message-type", { type: "string", value: "event" }],
    ]);
  });

  test("every payload carries a padding field, a prefix of the alphabet, among sorted keys", async () => {
    const frames = decodeFrames(await rawConverseStream());
    const lengths = new Set<number>();
    for (const frame of frames) {
      expect(isPadding(frame.payload["p"])).toBe(true);
      lengths.add(String(frame.payload["p"]).length);
      const keys = Object.keys(frame.payload);
      expect(keys).toEqual([...keys].sort());
    }
    expect(lengths.size).toBeGreaterThan(1);
  });
});

/** A recorded stream of our own fixtures, and its counterpart among the shared captures when they are present. */
function recordings(folder: string, own: string, shared: string): string[] {
  const captures = sharedFixtureDir(folder);
  return [join(ownFixtures, folder, own), ...(captures ? [join(captures, shared)] : [])];
}

describe("golden: a recorded ConverseStream text answer", () => {
  for (const capture of recordings("bedrock-converse-stream", "text-two-deltas.eventstream", "vercel_sonnet-4-6_text_ok.eventstream")) {
    test(`the emulator's frames match ${basename(capture)} in order, headers and payload keys`, async () => {
      const real = decodeFrames(new Uint8Array(readFileSync(capture)));
      const emulated = decodeFrames(await rawConverseStream("OK."));
      expect(eventTypes(emulated)).toEqual(eventTypes(real));
      for (const [index, realFrame] of real.entries()) {
        const frame = emulated[index]!;
        expect(headerNames(frame)).toEqual(headerNames(realFrame));
        expect(header(frame, ":message-type")).toBe(header(realFrame, ":message-type"));
        expect(Object.keys(frame.payload)).toEqual(Object.keys(realFrame.payload));
        expect(isPadding(realFrame.payload["p"])).toBe(true);
      }
      const usageKeys = (frame: DecodedFrame | undefined) => Object.keys((frame?.payload["usage"] ?? {}) as object);
      expect(usageKeys(emulated.at(-1))).toEqual(usageKeys(real.at(-1)));
      expect(emulated[4]?.payload["additionalModelResponseFields"]).toEqual(real[4]?.payload["additionalModelResponseFields"]);
    });
  }
});

/** Event names with runs of the same name collapsed: captures and the emulator chunk text differently. */
const shape = (names: (string | undefined)[]) => names.filter((name, index) => name !== names[index - 1]);

describe("golden: recorded tool-use streams", () => {
  const read = (path: string) => decodeFrames(new Uint8Array(readFileSync(path)));

  for (const converseCapture of recordings("bedrock-converse-stream", "text-then-tool.eventstream", "openllmetry_claude-3-sonnet_tooluse.eventstream")) {
    test(`ConverseStream text then toolUse has the event shape of ${basename(converseCapture)}`, async () => {
      await emulator.queue({ content: [{ text: "Okay, let me check the weather." }, { toolUse: { name: "get_weather", input: { location: "Barcelona" } } }] });
      const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/converse-stream`, {
        messages: [userText("weather?")],
        toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: {} } } }] },
      });
      const emulated = decodeFrames(new Uint8Array(await response.arrayBuffer()));
      const real = read(converseCapture);
      expect(shape(eventTypes(emulated))).toEqual(shape(eventTypes(real)));
      const start = (frames: DecodedFrame[]) => frames.find((frame) => header(frame, ":event-type") === "contentBlockStart")?.payload;
      expect(Object.keys(start(emulated) ?? {})).toEqual(Object.keys(start(real) ?? {}));
    });
  }

  for (const invokeCapture of recordings(
    "bedrock-invoke-stream",
    "text-then-two-tools.eventstream",
    "otel_claude-3-5-sonnet_text_2x_tool_use_then_result.1.eventstream",
  )) {
    test(`InvokeModelWithResponseStream text then two tool_use blocks has the event shape of ${basename(invokeCapture)}`, async () => {
      await emulator.queue({
        content: [
          { text: "Certainly!" },
          { toolUse: { name: "get_current_weather", input: { location: "Seattle" } } },
          { toolUse: { name: "get_current_weather", input: { location: "San Francisco" } } },
        ],
      });
      const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke-with-response-stream`, {
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 100,
        messages: [{ role: "user", content: "weather?" }],
        tools: [{ name: "get_current_weather", input_schema: { type: "object" } }],
      });
      const emulated = decodeFrames(new Uint8Array(await response.arrayBuffer())).map(chunkEvent);
      const real = read(invokeCapture).map(chunkEvent);
      const types = (events: Record<string, unknown>[]) => shape(events.map((event) => `${String(event["type"])}:${String(event["index"] ?? "")}`));
      expect(types(emulated)).toEqual(types(real));
      const keysOfFirst = (events: Record<string, unknown>[], type: unknown) => Object.keys(events.find((event) => event["type"] === type) ?? {});
      for (const event of real) expect(keysOfFirst(emulated, event["type"])).toEqual(Object.keys(event));
      expect(Object.keys(emulated[0]?.["message"] as object)).toEqual(Object.keys(real[0]?.["message"] as object));
    });
  }
});
