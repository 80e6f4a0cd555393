import { type ApiError, toApiError } from "../anthropic/errors.ts";
import { encodeSse, encodeSseRaw } from "../anthropic/sse.ts";
import type { Logger } from "../../lib/log.ts";
import type { UpstreamStream } from "../bedrock/upstream.ts";

export interface SseOptions {
  pingIntervalMs: number;
  requestId: string;
  log: Logger;
  /** Ends the upstream call; called when the client goes away. */
  abort(): void;
  /** Called once when the stream is over, however it ended, before the body closes. */
  onEnd?(): void;
}

export const sseHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

const ping = encodeSse({ type: "ping" });

/**
 * Relays an upstream stream as an SSE body. A `ping` goes out after each silence of `pingIntervalMs`;
 * an upstream fault becomes an `error` event (never a stream that just stops and looks complete);
 * a client that leaves aborts the upstream call at once.
 */
export function sseBody(upstream: UpstreamStream, options: SseOptions): ReadableStream<Uint8Array> {
  let lastWrite = Date.now();
  let clientAborted = false;
  let pinger: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (bytes: Uint8Array) => {
        lastWrite = Date.now();
        controller.enqueue(bytes);
      };
      pinger = setInterval(() => Date.now() - lastWrite >= options.pingIntervalMs && write(ping), Math.max(10, options.pingIntervalMs / 4));
      let error: ApiError | undefined;
      try {
        for await (const chunk of upstream.chunks) write(encodeSseRaw(chunk.type, chunk.data));
      } catch (thrown) {
        error = toApiError(thrown);
        if (!clientAborted) {
          options.log.warn("stream ended by an upstream error", { type: error.type, message: error.message });
          write(encodeSse({ type: "error", error: { type: error.type, message: error.message }, request_id: options.requestId }));
        }
      } finally {
        clearInterval(pinger);
        options.onEnd?.();
        if (!clientAborted) controller.close();
      }
    },
    cancel() {
      clientAborted = true;
      clearInterval(pinger);
      options.abort();
    },
  });
  return body;
}
