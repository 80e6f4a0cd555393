/**
 * Replays our stream events through the official @anthropic-ai/sdk, as SSE over a fake fetch:
 * what `messages.stream().finalMessage()` returns is what a real client reconstructs.
 */
import Anthropic from "@anthropic-ai/sdk";
import type { StreamEvent } from "../../../../src/anthropic/messages.ts";

export function toSse(events: readonly StreamEvent[]): string {
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");
}

export async function finalMessageFromSdk(events: readonly StreamEvent[]): Promise<Anthropic.Message> {
  const sse = toSse(events);
  const client = new Anthropic({
    apiKey: "test",
    baseURL: "http://proxy.test",
    maxRetries: 0,
    fetch: async () => new Response(sse, { headers: { "content-type": "text/event-stream" } }),
  });
  return client.messages.stream({ model: "test", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }).finalMessage();
}
