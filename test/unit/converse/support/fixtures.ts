/** Loading recorded Converse streams, in the layout of the shared captures and of our own fixtures. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "bun:test";
import { ownFixtures, readJson } from "../../../support/fixtures.ts";
import { encodeFrames, type UpstreamEvent } from "./bedrock-sdk.ts";

export const converseFixtures = join(ownFixtures, "converse");

/**
 * `*.decoded.jsonl`: one frame per line, `{headers, payload: "<json>"}`.
 * `*.chunks.jsonl`: one event per line, `{"<eventType>": payload}`.
 */
export function readUpstreamEvents(path: string): UpstreamEvent[] {
  const lines = readFileSync(path, "utf8").split("\n").filter((line) => line.trim());
  return lines.map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record["payload"] === "string" && isStringRecord(record["headers"])) {
      const headers = record["headers"];
      const exception = headers[":message-type"] === "exception";
      return {
        eventType: (exception ? headers[":exception-type"] : headers[":event-type"]) ?? "",
        payload: JSON.parse(record["payload"]) as Record<string, unknown>,
        messageType: exception ? "exception" : "event",
      };
    }
    const [eventType, payload] = Object.entries(record)[0] ?? ["", {}];
    return { eventType, payload: payload as Record<string, unknown> };
  });
}

/** The raw bytes of a capture: the `.eventstream` file when there is one, else frames encoded from JSON lines. */
export function upstreamBytes(path: string): Uint8Array[] {
  const raw = path.replace(/\.(decoded|chunks)\.jsonl$/, ".eventstream");
  if (raw !== path && existsSync(raw)) return [new Uint8Array(readFileSync(raw))];
  return encodeFrames(readUpstreamEvents(path));
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null;
}

/** Compares with a stored golden file; `UPDATE_GOLDEN=1` rewrites it instead. */
export function expectGolden(actual: unknown, path: string): void {
  if (process.env["UPDATE_GOLDEN"] === "1" || !existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
    if (process.env["UPDATE_GOLDEN"] !== "1") throw new Error(`golden file ${path} was missing and has been written: review it`);
    return;
  }
  expect(JSON.parse(JSON.stringify(actual))).toEqual(readJson(path));
}
