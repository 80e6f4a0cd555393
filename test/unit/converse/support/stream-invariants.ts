/** What every Anthropic event sequence we emit must satisfy, whatever Bedrock sent. */
import { expect } from "bun:test";
import type { StreamEvent } from "../../../../src/anthropic/messages.ts";

export function expectWellFormedStream(events: readonly StreamEvent[]): void {
  expect(events[0]?.type).toBe("message_start");
  if (events[0]?.type === "message_start") expect(typeof events[0].message.usage.input_tokens).toBe("number");
  expect(events.at(-2)?.type).toBe("message_delta");
  expect(events.at(-1)?.type).toBe("message_stop");
  const open = new Set<number>();
  let nextIndex = 0;
  for (const event of events.slice(1, -2)) {
    switch (event.type) {
      case "content_block_start":
        expect(event.index).toBe(nextIndex++); // contiguous, in start order
        open.add(event.index);
        break;
      case "content_block_delta":
        expect(open.has(event.index)).toBe(true); // never a delta for a block not started
        break;
      case "content_block_stop":
        expect(open.delete(event.index)).toBe(true);
        break;
      default:
        throw new Error(`unexpected ${event.type} inside the message`);
    }
  }
  expect(open.size).toBe(0);
}
