/**
 * Length-prefixed JSON frames, the runner protocol's wire format: a 4-byte big-endian
 * payload length, then that many bytes of UTF-8 JSON. Mirrors sandbox/runner/framing.py.
 */

/** Same cap as the runner; a larger length means a broken stream, not a big message. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 4;

export class FrameError extends Error {
  override name = "FrameError";
}

const encoder = new TextEncoder();

export function encodeFrame(message: unknown): Uint8Array {
  const payload = encoder.encode(JSON.stringify(message));
  if (payload.byteLength > MAX_FRAME_BYTES) {
    throw new FrameError(`message of ${payload.byteLength} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit`);
  }
  const frame = new Uint8Array(HEADER_BYTES + payload.byteLength);
  new DataView(frame.buffer).setUint32(0, payload.byteLength, false);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Reassembles frames from chunks split anywhere (1 byte at a time or many frames per
 * chunk). Chunks are kept in a list and copied once per frame, so a large frame that
 * arrives in many small pieces costs linear, not quadratic, time.
 */
export class FrameReader {
  /** `maxFrameBytes`: a length prefix above it throws before any of its body is buffered. */
  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Payload length of the frame being assembled, once its header has arrived. */
  private currentLength: number | undefined;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });

  /** Adds a chunk and returns every message it completed, in order. */
  push(chunk: Uint8Array): unknown[] {
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const messages: unknown[] = [];
    for (;;) {
      this.currentLength ??= this.nextFrameLength();
      const length = this.currentLength;
      if (length === undefined || this.buffered < HEADER_BYTES + length) return messages;
      this.currentLength = undefined;
      const frame = this.take(HEADER_BYTES + length);
      messages.push(this.parse(frame.subarray(HEADER_BYTES)));
    }
  }

  /** Bytes of an incomplete frame still held; non-zero at end of stream means truncation. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Yields each complete message of a byte stream; throws if it ends inside a frame. */
  async *messages(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
    for await (const chunk of source) {
      yield* this.push(chunk);
    }
    if (this.buffered > 0) throw new FrameError(`stream ended inside a frame (${this.buffered} bytes pending)`);
  }

  private nextFrameLength(): number | undefined {
    if (this.buffered < HEADER_BYTES) return undefined;
    const header = this.peek(HEADER_BYTES);
    const length = new DataView(header.buffer, header.byteOffset, HEADER_BYTES).getUint32(0, false);
    if (length > this.maxFrameBytes) {
      throw new FrameError(`frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    }
    return length;
  }

  private parse(payload: Uint8Array): unknown {
    try {
      return JSON.parse(this.decoder.decode(payload));
    } catch (error) {
      throw new FrameError(`frame is not valid UTF-8 JSON: ${String(error)}`);
    }
  }

  /** The first `count` buffered bytes, without consuming them. */
  private peek(count: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.byteLength >= count) return first.subarray(0, count);
    return this.copyOut(count, false);
  }

  /** Removes and returns the first `count` buffered bytes. */
  private take(count: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.byteLength >= count) {
      if (first.byteLength === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      this.buffered -= count;
      return first.subarray(0, count);
    }
    return this.copyOut(count, true);
  }

  private copyOut(count: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    let index = 0;
    while (filled < count) {
      const chunk = this.chunks[index];
      if (chunk === undefined) throw new FrameError("internal: fewer bytes buffered than counted");
      const used = Math.min(chunk.byteLength, count - filled);
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (consume && used < chunk.byteLength) this.chunks[index] = chunk.subarray(used);
      else index += 1;
    }
    if (consume) {
      this.chunks.splice(0, index);
      this.buffered -= count;
    }
    return out;
  }
}
