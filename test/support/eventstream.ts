import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

/** Reading raw Bedrock event streams in tests: the emulator's answers and recorded fixtures alike. */

export const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Cuts a raw event-stream body at each frame's length prefix (the codec checks CRCs per frame). */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.byteLength; ) {
    const length = view.getUint32(offset);
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return frames;
}

export interface DecodedFrame {
  /** Header names in wire order, with their string values. */
  headers: [string, string][];
  payload: Record<string, unknown>;
}

export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  return splitFrames(bytes).map((frame) => {
    const message = codec.decode(frame);
    return {
      headers: Object.entries(message.headers).map(([name, header]) => [name, String(header.value)]),
      payload: JSON.parse(toUtf8(message.body)) as Record<string, unknown>,
    };
  });
}

export function header(frame: DecodedFrame, name: string): string | undefined {
  return frame.headers.find(([key]) => key === name)?.[1];
}

/** The Anthropic event inside an InvokeModelWithResponseStream `chunk` payload. */
export function chunkEvent(frame: DecodedFrame): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(frame.payload["bytes"]), "base64").toString("utf8")) as Record<string, unknown>;
}
