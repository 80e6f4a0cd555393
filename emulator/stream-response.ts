import type { Answer } from "./answer.ts";
import { sleep } from "../lib/sleep.ts";
import { exceptionFrame } from "./eventstream.ts";

/**
 * Sends encoded frames as an `application/vnd.amazon.eventstream` body, paced as the answer says,
 * cut short by a scripted in-stream exception, and stopped as soon as the client goes away.
 */

export interface Frame {
  bytes: Uint8Array;
  /** A content delta: waits `chunkDelayMs` before it is sent. */
  paced: boolean;
}

export function eventStreamResponse(frames: readonly Frame[], answer: Answer, signal: AbortSignal, headers: Record<string, string> = {}): Response {
  const sent = withStreamError(frames, answer);
  const init = {
    headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-RequestId": crypto.randomUUID(), ...headers },
  };
  const { firstByteDelayMs, chunkDelayMs } = answer.pacing;
  if (firstByteDelayMs === 0 && chunkDelayMs === 0) return new Response(concat(sent), init);
  const delays = sent.map((frame, index) => (index === 0 ? firstByteDelayMs : frame.paced ? chunkDelayMs : 0));
  return new Response(pacedStream(sent, delays, signal), init);
}

function withStreamError(frames: readonly Frame[], answer: Answer): readonly Frame[] {
  const failure = answer.streamError;
  if (!failure) return frames;
  return [...frames.slice(0, failure.afterEvents), { bytes: exceptionFrame(failure.type, failure.message), paced: false }];
}

function concat(frames: readonly Frame[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(frames.reduce((length, frame) => length + frame.bytes.byteLength, 0));
  let offset = 0;
  for (const frame of frames) {
    out.set(frame.bytes, offset);
    offset += frame.bytes.byteLength;
  }
  return out;
}

/** Each pull waits the next frame's delay, then sends it together with the undelayed frames behind it. */
function pacedStream(frames: readonly Frame[], delays: readonly number[], requestSignal: AbortSignal): ReadableStream<Uint8Array> {
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  requestSignal.addEventListener("abort", stop, { once: true });
  let next = 0;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await sleep(delays[next] ?? 0, stopped.signal);
      if (stopped.signal.aborted) {
        if (!cancelled) controller.close();
        return;
      }
      let end = next + 1;
      while (end < frames.length && delays[end] === 0) end++;
      controller.enqueue(concat(frames.slice(next, end)));
      next = end;
      if (next >= frames.length) {
        requestSignal.removeEventListener("abort", stop);
        controller.close();
      }
    },
    cancel() {
      cancelled = true;
      stop();
    },
  });
}
