import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventFrameRaw, padding } from "../../emulator/eventstream.ts";
import { listFiles, ownFixtures } from "./fixtures.ts";

/**
 * Writes the raw `.eventstream` beside each hand-written stream fixture, framed by the emulator's own
 * encoder (real CRCs, Bedrock's header order), so our fixtures have the same layout as captured traffic:
 * - `bedrock-converse-stream/*.chunks.jsonl`: one ConverseStream event a line, `{"<eventType>": payload}`,
 *   payload as written (its `"p"` padding included);
 * - `bedrock-invoke-stream/*.events.jsonl`: one Anthropic event a line, sent as InvokeModel's `chunk`
 *   frames (`{"bytes": base64, "p": padding}`).
 * Run `bun test/support/stream-fixtures.ts` after editing one; the golden tests read the result.
 */

const converseDir = join(ownFixtures, "bedrock-converse-stream");
const invokeDir = join(ownFixtures, "bedrock-invoke-stream");

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function write(path: string, frames: Uint8Array[]): void {
  writeFileSync(path, Buffer.concat(frames));
  console.log(`wrote ${path} (${frames.length} frames)`);
}

for (const name of listFiles(converseDir, ".chunks.jsonl")) {
  const frames = lines(join(converseDir, name)).map((event) => {
    const [eventType, payload] = Object.entries(event)[0] ?? ["", {}];
    return eventFrameRaw(eventType, JSON.stringify(payload));
  });
  write(join(converseDir, name.replace(".chunks.jsonl", ".eventstream")), frames);
}

for (const name of listFiles(invokeDir, ".events.jsonl")) {
  const frames = lines(join(invokeDir, name)).map((event) => {
    const bytes = Buffer.from(JSON.stringify(event)).toString("base64");
    return eventFrameRaw("chunk", JSON.stringify({ bytes, p: padding() }));
  });
  write(join(invokeDir, name.replace(".events.jsonl", ".eventstream")), frames);
}
