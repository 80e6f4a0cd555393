import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { defaultExceptionMessage, streamExceptionMembers, type StreamExceptionMember } from "./errors.ts";

/**
 * AWS event-stream frames exactly as Bedrock writes them: real CRCs (the smithy codec computes them),
 * headers in Bedrock's order (`:event-type`, `:content-type`, `:message-type`), and the `"p"` padding
 * field that every 2025+ payload carries, placed where Bedrock's key-sorted JSON puts it.
 */

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const paddingAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const paddings = Array.from({ length: paddingAlphabet.length }, (_, i) => paddingAlphabet.slice(0, i + 1));

/** A prefix of the padding alphabet of random length, as Bedrock varies it frame to frame. */
export function padding(): string {
  return paddings[Math.floor(Math.random() * paddings.length)] ?? paddingAlphabet;
}

const jsonType = { type: "string", value: "application/json" } as const;

function frame(headers: MessageHeaders, json: string): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(json) });
}

/** Serialises a payload with `"p"` inserted among its top-level keys in sorted order. */
export function paddedJson(payload: Record<string, unknown>): string {
  const withPadding: Record<string, unknown> = {};
  for (const key of [...Object.keys(payload), "p"].sort()) {
    withPadding[key] = key === "p" ? padding() : payload[key];
  }
  return JSON.stringify(withPadding);
}

/** An event frame whose payload is `payload` plus the padding field. */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return eventFrameRaw(eventType, paddedJson(payload));
}

/** An event frame whose payload JSON is already serialised. */
export function eventFrameRaw(eventType: string, json: string): Uint8Array {
  return frame(
    { ":event-type": { type: "string", value: eventType }, ":content-type": jsonType, ":message-type": { type: "string", value: "event" } },
    json,
  );
}

/** An in-stream exception: the SDK throws it, typed by `:exception-type`, while the caller iterates. */
export function exceptionFrame(member: StreamExceptionMember, message?: string): Uint8Array {
  return frame(
    {
      ":exception-type": { type: "string", value: member },
      ":content-type": jsonType,
      ":message-type": { type: "string", value: "exception" },
    },
    JSON.stringify({ message: message ?? defaultExceptionMessage(streamExceptionMembers[member]) }),
  );
}
