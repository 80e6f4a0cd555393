import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BetaMessageStream } from "@anthropic-ai/sdk/lib/BetaMessageStream";
import type { Usage } from "../../src/anthropic/messages.ts";
import type { StreamChunk } from "../../src/bedrock/upstream.ts";
import { MessageAccumulator } from "../../src/ptc/accumulate.ts";
import { AnswerEvents, type CodeToolCall, type Container } from "../../src/ptc/answer-events.ts";
import type { CodeOutcome } from "../../src/ptc/code-result.ts";
import { listFiles, ownFixtures } from "../support/fixtures.ts";
import { expectGolden } from "../unit/converse/support/fixtures.ts";

/**
 * Golden cases of the PTC answer's state machine (test/fixtures/ptc/answer/*.case.json): recorded model
 * streams (test/fixtures/ptc/model-stream/) and what the loop adds between them, in, the client's
 * events and the folded Message out. `UPDATE_GOLDEN=1 bun test test/ptc` rewrites the expected files.
 */

const dir = join(ownFixtures, "ptc");
const codeTool = { name: "code_execution", version: "code_execution_20250825" } as const;

type Step =
  | { model: string; usage: Usage }
  | { codeResult: { call?: number; serverToolUseId?: string; outcome: CodeOutcome } }
  | { toolCalls: { call: number; calls: CodeToolCall[] } }
  | { finish: { stopReason: "end_turn" | "tool_use" | "pause_turn"; container: Container | null } };

function modelStream(name: string): StreamChunk[] {
  return readFileSync(join(dir, "model-stream", `${name}.events.jsonl`), "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => ({ type: (JSON.parse(line) as { type: string }).type, data: line }));
}

/** Runs a case; srvtoolu ids the machine makes are random, so they are renamed in order of appearance. */
function play(steps: Step[]): StreamChunk[] {
  const events = new AnswerEvents({ messageId: "msg_fixture", model: "claude-sonnet-4-6", codeTool });
  const codeCalls: string[] = [];
  const out: StreamChunk[] = [];
  for (const step of steps) {
    if ("model" in step) {
      for (const chunk of modelStream(step.model)) out.push(...events.fromModel(chunk));
      codeCalls.push(...events.endModelCall(step.usage).codeCalls.map((c) => c.serverToolUseId));
    } else if ("codeResult" in step) {
      const { call, serverToolUseId, outcome } = step.codeResult;
      out.push(...events.codeResult(serverToolUseId ?? codeCalls[call ?? 0] ?? "", outcome));
    } else if ("toolCalls" in step) {
      out.push(...events.toolCalls(codeCalls[step.toolCalls.call] ?? "", step.toolCalls.calls));
    } else {
      out.push(...events.finish(step.finish.stopReason, step.finish.container));
    }
  }
  return codeCalls.reduce((chunks, id, i) => chunks.map((c) => ({ ...c, data: c.data.replaceAll(id, `srvtoolu_generated${i + 1}`) })), out);
}

const cases = listFiles(join(dir, "answer"), ".case.json");

describe("PTC answer events (golden)", () => {
  test("there are cases", () => expect(cases.length).toBeGreaterThan(0));

  for (const name of cases) {
    const base = join(dir, "answer", name.replace(/\.case\.json$/, ""));
    const { steps } = JSON.parse(readFileSync(`${base}.case.json`, "utf8")) as { steps: Step[] };

    test(`${name}: the client's events`, () => {
      const chunks = play(steps);
      expectGolden(chunks.map((c) => JSON.parse(c.data) as unknown), `${base}.events.json`);
      for (const chunk of chunks) expect((JSON.parse(chunk.data) as { type: string }).type).toBe(chunk.type);
    });

    test(`${name}: one message_start, blocks numbered 0.. without gaps, one message_delta and message_stop last`, () => {
      const events = play(steps).map((c) => JSON.parse(c.data) as { type: string; index?: number });
      expect(events.filter((e) => e.type === "message_start")).toHaveLength(1);
      expect(events[0]?.type).toBe("message_start");
      expect(events.slice(-2).map((e) => e.type)).toEqual(["message_delta", "message_stop"]);
      const starts = events.filter((e) => e.type === "content_block_start").map((e) => e.index);
      expect(starts).toEqual(starts.map((_, i) => i));
    });

    test(`${name}: the non-streaming Message is the fold of the events, as the official SDK folds them`, async () => {
      const chunks = play(steps);
      const accumulator = new MessageAccumulator();
      for (const chunk of chunks) accumulator.push(chunk);
      const message = accumulator.current();
      expectGolden(message, `${base}.message.json`);
      const lines = chunks.map((c) => `${c.data}\n`).join("");
      // The SDK adds its own client-side `parsed_output`, and leaves out a null container.
      const { parsed_output: _, ...sdk } = await BetaMessageStream.fromReadableStream(new Blob([lines]).stream()).finalMessage();
      expect(JSON.parse(JSON.stringify({ ...sdk, container: sdk.container ?? null }))).toEqual(JSON.parse(JSON.stringify(message)));
    });
  }
});

describe("PTC answer usage", () => {
  test("the final message_delta carries the sum over every model call", () => {
    const events = play([
      { model: "text-then-code", usage: { input_tokens: 620, output_tokens: 41, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
      { model: "answer-after-code", usage: { input_tokens: 700, output_tokens: 9, cache_creation_input_tokens: 3, cache_read_input_tokens: 512 } },
      { finish: { stopReason: "end_turn", container: null } },
    ]);
    const delta = JSON.parse(events.at(-2)?.data ?? "{}") as { usage: Usage };
    expect(delta.usage).toEqual({ input_tokens: 1320, output_tokens: 50, cache_creation_input_tokens: 3, cache_read_input_tokens: 512 });
  });

  test("a code call whose input holds no string `code` is reported as such (the loop answers invalid_tool_input)", () => {
    const events = new AnswerEvents({ messageId: "msg_fixture", model: "m", codeTool });
    const lines = [
      { type: "message_start", message: { usage: { input_tokens: 1, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_x", name: "code_execution", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"script": "print(1)"}' } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 3 } },
    ];
    for (const line of lines) events.fromModel({ type: line.type, data: JSON.stringify(line) });
    const turn = events.endModelCall({ input_tokens: 1, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(turn.stopReason).toBe("tool_use");
    expect(turn.codeCalls).toEqual([{ serverToolUseId: expect.stringMatching(/^srvtoolu_/), code: undefined }]);
  });
});
