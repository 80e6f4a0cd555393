import { describe, expect, test } from "bun:test";
import { encodeFrame, FrameError, FrameReader, MAX_FRAME_BYTES } from "../../sandbox/src/protocol/frames.ts";
import { runnerMessage, serviceMessage } from "../../sandbox/src/protocol/messages.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Splits bytes into chunks of `size` bytes, as a pipe might deliver them. */
function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

async function* asAsync(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function collect(source: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe("encodeFrame", () => {
  test("prefixes the UTF-8 payload with its big-endian byte length", () => {
    const frame = encodeFrame({ text: "é" });
    const payloadLength = new TextEncoder().encode(JSON.stringify({ text: "é" })).byteLength;
    expect(Array.from(frame.subarray(0, 4))).toEqual([0, 0, 0, payloadLength]);
    expect(JSON.parse(new TextDecoder().decode(frame.subarray(4)))).toEqual({ text: "é" });
  });
});

describe("FrameReader", () => {
  const messages = [{ a: 1 }, { b: "ünïcødé 🎉" }, [], "plain", { nested: { list: [1, 2, 3] } }];
  const stream = concat(messages.map(encodeFrame));

  test("reassembles frames delivered one byte at a time", async () => {
    expect(await collect(new FrameReader().messages(asAsync(chunksOf(stream, 1))))).toEqual(messages);
  });

  test("splits several frames delivered in one chunk", () => {
    expect(new FrameReader().push(stream)).toEqual(messages);
  });

  test("handles every split point of a frame pair", () => {
    for (let split = 0; split <= stream.byteLength; split++) {
      const reader = new FrameReader();
      const out = [...reader.push(stream.subarray(0, split)), ...reader.push(stream.subarray(split))];
      expect(out).toEqual(messages);
    }
  });

  test("reads a 5 MB frame from a ReadableStream in odd-sized chunks", async () => {
    const big = { content: "x".repeat(5 * 1024 * 1024) };
    const bytes = concat([encodeFrame(big), encodeFrame({ after: true })]);
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunksOf(bytes, 7919)) controller.enqueue(chunk);
        controller.close();
      },
    });
    const out = await collect(new FrameReader().messages(source));
    expect(out).toEqual([big, { after: true }]);
  });

  test("reads a 5 MB frame delivered one byte at a time", () => {
    const big = { content: "y".repeat(5 * 1024 * 1024) };
    const frame = encodeFrame(big);
    const reader = new FrameReader();
    const out: unknown[] = [];
    // A plain loop: five million generator steps would dominate the time being measured.
    for (let offset = 0; offset < frame.byteLength; offset++) {
      for (const message of reader.push(frame.subarray(offset, offset + 1))) out.push(message);
    }
    expect(out).toEqual([big]);
    expect(reader.pendingBytes).toBe(0);
  }, 20_000);

  test("rejects a length above the cap instead of buffering it", () => {
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1, false);
    expect(() => new FrameReader().push(header)).toThrow(FrameError);
  });

  test("rejects a payload that is not JSON", () => {
    const payload = new TextEncoder().encode("{not json");
    const frame = concat([new Uint8Array([0, 0, 0, payload.byteLength]), payload]);
    expect(() => new FrameReader().push(frame)).toThrow(FrameError);
  });

  test("reports a stream that ends inside a frame", async () => {
    const truncated = encodeFrame({ a: 1 }).subarray(0, 6);
    expect(collect(new FrameReader().messages(asAsync([truncated])))).rejects.toThrow(FrameError);
  });
});

describe("message schemas", () => {
  test("accept each protocol message", () => {
    expect(serviceMessage.parse({
      type: "execute", execution_id: "e", code: "print(1)", tools: [{ name: "t" }], max_output_bytes: 10, max_frame_bytes: 100, max_tool_calls: 2,
    }).type).toBe("execute");
    expect(serviceMessage.parse({
      type: "tool_results", execution_id: "e", results: [{ call_id: "c", content: "ok", is_error: true }],
    }).type).toBe("tool_results");
    expect(runnerMessage.parse({
      type: "tool_calls", execution_id: "e", calls: [{ call_id: "c", name: "t", input: { a: 1 } }],
    }).type).toBe("tool_calls");
    expect(runnerMessage.parse({
      type: "completed", execution_id: "e", stdout: "", stderr: "", return_code: 0,
    }).type).toBe("completed");
    expect(runnerMessage.parse({
      type: "failed", execution_id: "e", error_code: "unavailable", stdout: "", stderr: "",
    }).type).toBe("failed");
  });

  test("reject an unknown failure code and a call without input", () => {
    expect(runnerMessage.safeParse({
      type: "failed", execution_id: "e", error_code: "nope", stdout: "", stderr: "",
    }).success).toBe(false);
    expect(runnerMessage.safeParse({
      type: "tool_calls", execution_id: "e", calls: [{ call_id: "c", name: "t" }],
    }).success).toBe(false);
  });
});
