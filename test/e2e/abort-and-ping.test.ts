import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { eventFrame } from "../../emulator/eventstream.ts";
import { createLogger } from "../../lib/log.ts";
import { type RunningProxy, startServer } from "../../src/server.ts";

/**
 * What needs a watch on the upstream connection itself: a slow Bedrock stand-in (real event-stream
 * frames, one every `frameDelayMs`) that records when its response stream was cancelled.
 */

const frameDelayMs = 150;
let cancelledAt: number | undefined;
let framesSent = 0;
let upstream: ReturnType<typeof Bun.serve>;
let proxy: RunningProxy;

function slowConverseStream(): ReadableStream<Uint8Array> {
  const frames = [
    eventFrame("messageStart", { role: "assistant" }),
    ...Array.from({ length: 12 }, (_, i) => eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: `word${i} ` } })),
    eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
    eventFrame("messageStop", { stopReason: "end_turn" }),
    eventFrame("metadata", { usage: { inputTokens: 3, outputTokens: 12, totalTokens: 15 }, metrics: { latencyMs: 1 } }),
  ];
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          const frame = frames[framesSent];
          if (frame) controller.enqueue(frame);
          framesSent++;
          if (framesSent >= frames.length) controller.close();
          resolve();
        }, framesSent === 0 ? 0 : frameDelayMs);
      });
    },
    cancel() {
      clearTimeout(timer);
      cancelledAt = performance.now();
    },
  });
}

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    fetch: () => new Response(slowConverseStream(), { headers: { "content-type": "application/vnd.amazon.eventstream" } }),
  });
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "error",
    BEDROCK_ENDPOINT: upstream.url.href.replace(/\/$/, ""),
    AWS_BEARER_TOKEN_BEDROCK: "x",
    SQLITE_PATH: ":memory:",
    AUTH_MODE: "open",
    STREAM_PING_INTERVAL_MS: "50",
  });
  proxy = await startServer(config, createLogger("error"));
});
afterAll(async () => {
  await proxy.stop();
  upstream.stop(true);
});

const streamRequest = (signal?: AbortSignal) =>
  fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "qwen.qwen3-coder-480b-a35b-v1:0", max_tokens: 100, stream: true, messages: [{ role: "user", content: "x" }] }),
    signal,
  });

describe("streams over a slow upstream", () => {
  test("a ping goes out during each silence longer than the interval", async () => {
    framesSent = 0;
    const response = await streamRequest();
    const text = await response.text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.filter((e) => e === "ping").length).toBeGreaterThanOrEqual(8);
    expect(text).toContain('data: {"type":"ping"}');
    expect(events.at(-1)).toBe("message_stop");
    expect(events.at(0)).toBe("message_start");
  }, 20_000);

  test("a client that disconnects aborts the upstream call at once", async () => {
    framesSent = 0;
    cancelledAt = undefined;
    const client = new AbortController();
    const response = await streamRequest(client.signal);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("content_block_delta")) seen += new TextDecoder().decode((await reader.read()).value);
    const abortedAt = performance.now();
    client.abort();
    await Bun.sleep(frameDelayMs * 2);
    expect(cancelledAt).toBeDefined();
    expect((cancelledAt ?? Infinity) - abortedAt).toBeLessThan(frameDelayMs);
    expect(framesSent).toBeLessThan(8);
  }, 20_000);
});
