import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedFixtureDir } from "../support/fixtures.ts";
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

describe("golden: a real ConverseStream capture", () => {
  const captures = sharedFixtureDir("bedrock-converse-stream");
  const capture = captures && join(captures, "vercel_sonnet-4-6_text_ok.eventstream");

  test.skipIf(!capture)("the emulator's frames match the capture in order, headers and payload keys", async () => {
    const real = decodeFrames(new Uint8Array(readFileSync(capture ?? "")));
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
});

/** Event names with runs of the same name collapsed: captures and the emulator chunk text differently. */
const shape = (names: (string | undefined)[]) => names.filter((name, index) => name !== names[index - 1]);

describe("golden: real tool-use captures", () => {
  const converseCaptures = sharedFixtureDir("bedrock-converse-stream");
  const invokeCaptures = sharedFixtureDir("bedrock-invoke-stream");
  const converseCapture = converseCaptures && join(converseCaptures, "openllmetry_claude-3-sonnet_tooluse.eventstream");
  const invokeCapture = invokeCaptures && join(invokeCaptures, "otel_claude-3-5-sonnet_text_2x_tool_use_then_result.1.eventstream");
  const read = (path: string | undefined) => decodeFrames(new Uint8Array(readFileSync(path ?? "")));

  test.skipIf(!converseCapture)("ConverseStream text then toolUse has the capture's event shape", async () => {
    await emulator.queue({ content: [{ text: "Okay, let me check the weather." }, { toolUse: { name: "get_weather", input: { location: "Barcelona" } } }] });
    const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/converse-stream`, { messages: [userText("weather?")], toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: {} } } }] } });
    const emulated = decodeFrames(new Uint8Array(await response.arrayBuffer()));
    const real = read(converseCapture);
    expect(shape(eventTypes(emulated))).toEqual(shape(eventTypes(real)));
    const start = (frames: DecodedFrame[]) => frames.find((frame) => header(frame, ":event-type") === "contentBlockStart")?.payload;
    expect(Object.keys(start(emulated) ?? {})).toEqual(Object.keys(start(real) ?? {}));
  });

  test.skipIf(!invokeCapture)("InvokeModelWithResponseStream text then two tool_use blocks has the capture's event shape", async () => {
    await emulator.queue({
      content: [{ text: "Certainly!" }, { toolUse: { name: "get_current_weather", input: { location: "Seattle" } } }, { toolUse: { name: "get_current_weather", input: { location: "San Francisco" } } }],
    });
    const response = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke-with-response-stream`, {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 100,
      messages: [{ role: "user", content: "weather?" }],
    });
    const emulated = decodeFrames(new Uint8Array(await response.arrayBuffer())).map(chunkEvent);
    const real = read(invokeCapture).map(chunkEvent);
    const types = (events: Record<string, unknown>[]) => shape(events.map((event) => `${String(event["type"])}:${String(event["index"] ?? "")}`));
    expect(types(emulated)).toEqual(types(real));
    const keysOfFirst = (events: Record<string, unknown>[], type: unknown) => Object.keys(events.find((event) => event["type"] === type) ?? {});
    for (const event of real) expect(keysOfFirst(emulated, event["type"])).toEqual(Object.keys(event));
    expect(Object.keys(emulated[0]?.["message"] as object)).toEqual(Object.keys(real[0]?.["message"] as object));
  });
});
