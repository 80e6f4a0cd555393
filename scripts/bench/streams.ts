/**
 * Just enough of the two stream formats to time them the same way: the proxy's SSE and Bedrock's
 * binary event stream (what the emulator sends directly). Each reader reports three milestones:
 * the message started, the first content delta (the "first token"), and the message stopped.
 */

export type Milestone = "start" | "delta" | "stop";

export interface StreamWatcher {
  /** Milestones found in this piece of the body, in order (a delta may repeat). */
  push(bytes: Uint8Array): Milestone[];
}

const sseMilestones: Record<string, Milestone> = { message_start: "start", content_block_delta: "delta", message_stop: "stop" };

/** Anthropic SSE: blocks separated by a blank line, each naming its event on an `event:` line. */
export class SseWatcher implements StreamWatcher {
  private readonly decoder = new TextDecoder();
  private pending = "";

  push(bytes: Uint8Array): Milestone[] {
    this.pending += this.decoder.decode(bytes, { stream: true });
    const found: Milestone[] = [];
    for (let end = this.pending.indexOf("\n\n"); end >= 0; end = this.pending.indexOf("\n\n")) {
      const block = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      const name = /^event: (\S+)/.exec(block)?.[1];
      if (name === "error") throw new Error(`proxy sent an error event: ${block}`);
      const milestone = name === undefined ? undefined : sseMilestones[name];
      if (milestone) found.push(milestone);
    }
    return found;
  }
}

interface Frame {
  headers: Map<string, string>;
  payload: Uint8Array;
}

/**
 * AWS event-stream frames: a 12-byte prelude (total length, headers length, CRC), the headers, the
 * payload, a 4-byte CRC. CRCs are not checked: the SDK in the proxy checks them, and the bench only
 * needs the frame boundaries.
 */
class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);

  push(bytes: Uint8Array): Frame[] {
    this.buffer = this.buffer.byteLength === 0 ? bytes : concat(this.buffer, bytes);
    const frames: Frame[] = [];
    while (this.buffer.byteLength >= 12) {
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
      const total = view.getUint32(0);
      if (this.buffer.byteLength < total) break;
      const headersLength = view.getUint32(4);
      frames.push({
        headers: readHeaders(this.buffer.subarray(12, 12 + headersLength)),
        payload: this.buffer.subarray(12 + headersLength, total - 4),
      });
      this.buffer = this.buffer.subarray(total);
    }
    return frames;
  }
}

const stringHeaderType = 7;

function readHeaders(bytes: Uint8Array): Map<string, string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const headers = new Map<string, string>();
  for (let at = 0; at < bytes.byteLength; ) {
    const nameLength = view.getUint8(at);
    const name = decoder.decode(bytes.subarray(at + 1, at + 1 + nameLength));
    at += 1 + nameLength;
    // Bedrock sends only string headers; anything else means the frame was misread.
    if (view.getUint8(at) !== stringHeaderType) throw new Error(`unexpected event-stream header type for ${name}`);
    const valueLength = view.getUint16(at + 1);
    headers.set(name, decoder.decode(bytes.subarray(at + 3, at + 3 + valueLength)));
    at += 3 + valueLength;
  }
  return headers;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** A frame that is an exception rather than an event fails the stream, as the SDK would. */
function eventType(frame: Frame): string {
  if (frame.headers.get(":message-type") === "exception") {
    throw new Error(`emulator sent ${frame.headers.get(":exception-type")}: ${new TextDecoder().decode(frame.payload)}`);
  }
  return frame.headers.get(":event-type") ?? "";
}

const anthropicTypePrefix = /^\{"type":"([a-z_]+)"/;

/** InvokeModelWithResponseStream: each `chunk` frame carries one base64 Anthropic event. */
export class InvokeStreamWatcher implements StreamWatcher {
  private readonly frames = new FrameReader();
  private readonly decoder = new TextDecoder();

  push(bytes: Uint8Array): Milestone[] {
    return this.frames.push(bytes).flatMap((frame) => {
      if (eventType(frame) !== "chunk") return [];
      const { bytes: base64 } = JSON.parse(this.decoder.decode(frame.payload)) as { bytes: string };
      const anthropicType = anthropicTypePrefix.exec(Buffer.from(base64, "base64").toString("utf8"))?.[1];
      const milestone = anthropicType === undefined ? undefined : sseMilestones[anthropicType];
      return milestone ? [milestone] : [];
    });
  }
}

const converseMilestones: Record<string, Milestone> = { messageStart: "start", contentBlockDelta: "delta", messageStop: "stop" };

/** ConverseStream: the frame's `:event-type` header names the event. */
export class ConverseStreamWatcher implements StreamWatcher {
  private readonly frames = new FrameReader();

  push(bytes: Uint8Array): Milestone[] {
    return this.frames.push(bytes).flatMap((frame) => {
      const milestone = converseMilestones[eventType(frame)];
      return milestone ? [milestone] : [];
    });
  }
}
