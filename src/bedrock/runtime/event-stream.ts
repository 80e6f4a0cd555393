import { EventStreamCodec, type Message } from "@smithy/eventstream-codec";
import { fromUtf8 } from "@smithy/util-utf8";
import { BedrockServiceError, streamException } from "./wire-errors.ts";

/**
 * Bedrock's streaming answers (`application/vnd.amazon.eventstream`) as events: each frame is cut
 * from the body by its length prefix and decoded (both CRCs checked) by the smithy codec the SDK
 * uses. An `exception` frame throws what the SDK would throw for it, as does an `error` frame.
 */

export interface StreamFrame {
  /** The `:event-type` header: the union member (`chunk`, `contentBlockDelta`, …). */
  type: string;
  /** The payload's JSON text. */
  json: string;
}

const decoder = new TextDecoder();
// Header names and values are decoded by TextDecoder: smithy's own `toUtf8` makes a Buffer of each
// (six per frame), which cost more than the rest of the frame's decoding (docs/performance.md#streams).
const codec = new EventStreamCodec((bytes) => decoder.decode(bytes), fromUtf8);
/** Prelude (12 bytes) and message CRC (4): no frame is shorter. */
const minimumFrameBytes = 16;

export async function* eventStreamFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamFrame> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    pending = pending.byteLength === 0 ? chunk : concat(pending, chunk);
    let offset = 0;
    while (pending.byteLength - offset >= 4) {
      const length = new DataView(pending.buffer, pending.byteOffset + offset, 4).getUint32(0);
      if (length < minimumFrameBytes) throw new Error(`Bedrock's event stream holds a frame of ${length} bytes`);
      if (pending.byteLength - offset < length) break;
      yield toFrame(codec.decode(pending.subarray(offset, offset + length)));
      offset += length;
    }
    pending = pending.subarray(offset);
  }
  // The SDK's words for it, which the tests and the logs know.
  if (pending.byteLength > 0) throw new Error("Truncated event message received.");
}

function toFrame(message: Message): StreamFrame {
  const header = (name: string) => {
    const value = message.headers[name]?.value;
    return typeof value === "string" ? value : undefined;
  };
  const json = decoder.decode(message.body);
  switch (header(":message-type")) {
    case "event":
      return { type: header(":event-type") ?? "unknown", json };
    case "exception":
      throw streamException(header(":exception-type") ?? "unknown", json);
    default:
      throw new BedrockServiceError(header(":error-code") ?? "UnknownError", header(":error-message") ?? "UnknownError");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
