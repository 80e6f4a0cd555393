import { describe, expect, test } from "bun:test";
import { ConverseCommand, ConverseStreamCommand, CountTokensCommand, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { ListFoundationModelsCommand, ListInferenceProfilesCommand } from "@aws-sdk/client-bedrock";
import { decoder, invokeBody, qwen, sonnet, sonnetFoundation, userText, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

async function converseText(text: string, modelId = sonnet): Promise<string | undefined> {
  const response = await emulator.runtime().send(new ConverseCommand({ modelId, messages: [userText(text)] }));
  return response.output?.message?.content?.[0]?.text;
}

async function invokeText(text: string): Promise<unknown> {
  const response = await emulator.runtime().send(
    new InvokeModelCommand({ modelId: sonnet, body: JSON.stringify(invokeBody({ messages: [{ role: "user", content: text }] })) }),
  );
  const message = JSON.parse(decoder.decode(response.body)) as { content: { text: string }[] };
  return message.content[0]?.text;
}

describe("the turn queue", () => {
  test("turns are used first-in first-out, by any operation, then the default answer returns", async () => {
    await emulator.queue({ content: [{ text: "first" }] }, { content: [{ text: "second" }] });
    expect(await invokeText("a")).toBe("first");
    expect(await converseText("b")).toBe("second");
    expect(await converseText("c")).toBe('You said: "c"');
  });

  test("match filters pick by model and last user text; non-matching turns keep their place", async () => {
    await emulator.queue(
      { match: { model: "qwen" }, content: [{ text: "for qwen" }] },
      { match: { lastUserText: "weather" }, content: [{ text: "sunny" }] },
      { match: { model: "claude", lastUserText: "weather" }, content: [{ text: "claude weather" }] },
      { content: [{ text: "anyone" }] },
    );
    expect(await converseText("what's the weather?")).toBe("sunny");
    expect(await converseText("what's the weather now?")).toBe("claude weather");
    expect(await converseText("hello")).toBe("anyone");
    expect(await converseText("hello")).toBe('You said: "hello"');
    expect(await converseText("hello", qwen)).toBe("for qwen");
  });

  test("count-tokens and control-plane calls do not consume turns", async () => {
    await emulator.queue({ content: [{ text: "kept" }] });
    await emulator.runtime().send(new CountTokensCommand({ modelId: sonnetFoundation, input: { converse: { messages: [userText("count me")] } } }));
    await emulator.control().send(new ListFoundationModelsCommand({}));
    expect(await converseText("x")).toBe("kept");
  });

  test("requests that fail validation do not consume turns", async () => {
    await emulator.queue({ content: [{ text: "kept" }] });
    const invalid = emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [userText("   ")] }));
    await expect(invalid).rejects.toThrow(/is blank/);
    expect(await converseText("x")).toBe("kept");
  });

  test("a bad script is refused with 400 and a clear message, and nothing is queued", async () => {
    const response = await fetch(`${emulator.url}/_emulator/script`, {
      method: "POST",
      body: JSON.stringify({ responses: [{ content: [{ text: "ok" }] }, { error: { type: "NoSuchException" } }] }),
    });
    expect(response.status).toBe(400);
    const { message } = (await response.json()) as { message: string };
    expect(message).toContain("Invalid script");
    expect(message).toContain("responses[1].error.type");
    expect(await converseText("x")).toBe('You said: "x"');
  });

  test("queueing answers with the number of turns queued", async () => {
    const response = await fetch(`${emulator.url}/_emulator/script`, { method: "POST", body: JSON.stringify({ responses: [{}, {}, {}] }) });
    expect(await response.json()).toEqual({ queued: 3 });
  });
});

describe("the request log", () => {
  test("records every data-plane request (control-plane reads are not), oldest first, with lower-cased headers and parsed bodies", async () => {
    await converseText("one");
    await emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [] })).catch(() => undefined);
    await emulator.runtime().send(new CountTokensCommand({ modelId: sonnetFoundation, input: { converse: { messages: [userText("two")] } } }));
    await invokeText("three");
    await emulator.control().send(new ListInferenceProfilesCommand({}));
    const requests = await emulator.requests();
    expect(requests.map((request) => request.operation)).toEqual(["converse", "converse", "count-tokens", "invoke"]);
    expect(requests[0]).toMatchObject({ modelId: sonnet, body: { messages: [userText("one")] } });
    expect(requests[0]?.headers["content-type"]).toBe("application/json");
    expect(requests[0]?.headers["authorization"]).toStartWith("AWS4-HMAC-SHA256 ");
    expect(requests[1]?.body).toEqual({ messages: [] });
    expect(requests[3]?.body).toMatchObject({ anthropic_version: "bedrock-2023-05-31", messages: [{ role: "user", content: "three" }] });
  });

  test("reset clears the log and the queue", async () => {
    await emulator.queue({ content: [{ text: "queued" }] });
    await converseText("logged");
    await emulator.queue({ content: [{ text: "dropped" }] });
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    expect(await emulator.requests()).toEqual([]);
    expect(await converseText("fresh")).toBe('You said: "fresh"');
  });
});

describe("pacing", () => {
  test("firstByteDelayMs and chunkDelayMs slow the stream and show in its metrics", async () => {
    await emulator.queue({ content: [{ text: "abcdefghij" }], chunkChars: 5, firstByteDelayMs: 60, chunkDelayMs: 30 });
    const started = performance.now();
    const response = await emulator.runtime().send(new ConverseStreamCommand({ modelId: sonnet, messages: [userText("hi")] }));
    let latency: number | undefined;
    for await (const event of response.stream ?? []) latency = event.metadata?.metrics?.latencyMs ?? latency;
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(latency).toBe(60 + 2 * 30);
  });

  test("a client that disconnects mid-stream stops the stream; the emulator keeps serving", async () => {
    await emulator.queue({ content: [{ text: "x".repeat(2000) }], chunkChars: 10, chunkDelayMs: 20 });
    const controller = new AbortController();
    const response = await fetch(`${emulator.url}/model/${encodeURIComponent(sonnet)}/converse-stream`, {
      method: "POST",
      headers: { authorization: "Bearer abc" },
      body: JSON.stringify({ messages: [userText("long")] }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await reader?.cancel().catch(() => undefined);
    const started = performance.now();
    expect(await converseText("still there?")).toBe('You said: "still there?"');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
