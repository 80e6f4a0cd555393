import { expect, test } from "bun:test";
import { resolveAnswer } from "../../emulator/answer.ts";
import { eventStreamResponse, type Frame } from "../../emulator/stream-response.ts";

const frames: Frame[] = Array.from({ length: 50 }, (_, index) => ({ bytes: Uint8Array.of(index), paced: true }));
const slowAnswer = resolveAnswer({ chunkDelayMs: 20 }, { lastUserText: "", inputTokens: 1, stopSequences: [], callableTools: new Set() }, () => "id");

test("when the client goes away the paced stream ends at once instead of running its delays out", async () => {
  const client = new AbortController();
  const reader = eventStreamResponse(frames, slowAnswer, client.signal).body?.getReader();
  expect((await reader?.read())?.value).toEqual(Uint8Array.of(0));
  client.abort();
  const started = performance.now();
  const next = await reader?.read();
  expect(next?.done).toBe(true);
  expect(performance.now() - started).toBeLessThan(100);
});

test("cancelling the body stops the stream without an error", async () => {
  const reader = eventStreamResponse(frames, slowAnswer, new AbortController().signal).body?.getReader();
  await reader?.read();
  await expect(reader?.cancel()).resolves.toBeUndefined();
});

test("undelayed frames after a delay are sent together", async () => {
  const mixed: Frame[] = [
    { bytes: Uint8Array.of(1), paced: false },
    { bytes: Uint8Array.of(2), paced: true },
    { bytes: Uint8Array.of(3), paced: false },
  ];
  const reader = eventStreamResponse(mixed, slowAnswer, new AbortController().signal).body?.getReader();
  expect((await reader?.read())?.value).toEqual(Uint8Array.of(1));
  expect((await reader?.read())?.value).toEqual(Uint8Array.of(2, 3));
  expect((await reader?.read())?.done).toBe(true);
});
