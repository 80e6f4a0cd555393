/**
 * A content-free outline of an event sequence, for golden files on captures this repo must not copy:
 * the order, kinds and indexes of events (runs of identical deltas collapsed), ids, names and usage,
 * plus a hash of the full sequence.
 */
import { createHash } from "node:crypto";
import type { StreamEvent } from "../../../../src/anthropic/messages.ts";

export function outline(events: readonly StreamEvent[]): { events: string[]; sha256: string } {
  const lines: string[] = [];
  let run = { line: "", count: 0 };
  const flush = () => {
    if (run.count > 0) lines.push(run.count > 1 ? `${run.line} x${run.count}` : run.line);
    run = { line: "", count: 0 };
  };
  for (const event of events) {
    const line = describe(event);
    if (event.type === "content_block_delta" && line === run.line) {
      run.count += 1;
      continue;
    }
    flush();
    if (event.type === "content_block_delta") run = { line, count: 1 };
    else lines.push(line);
  }
  flush();
  return { events: lines, sha256: createHash("sha256").update(JSON.stringify(events)).digest("hex") };
}

function describe(event: StreamEvent): string {
  switch (event.type) {
    case "message_start":
      return `message_start usage=${JSON.stringify(event.message.usage)}`;
    case "content_block_start": {
      const block = event.content_block;
      return `start[${event.index}] ${block.type}${block.type === "tool_use" ? ` ${block.id} ${block.name}` : ""}`;
    }
    case "content_block_delta":
      return `delta[${event.index}] ${event.delta.type}`;
    case "content_block_stop":
      return `stop[${event.index}]`;
    case "message_delta":
      return `message_delta ${JSON.stringify(event.delta)} usage=${JSON.stringify(event.usage)}`;
    default:
      return event.type;
  }
}
