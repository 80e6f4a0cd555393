import { describe, expect, test } from "bun:test";
import { ConverseCommand, ConverseStreamCommand, type ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { qwen, sonnet, toolConfigOf, userText, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

async function streamEvents(auth: "sigv4" | "bearer" = "sigv4", modelId = sonnet, text = "Hello there", toolConfig?: ReturnType<typeof toolConfigOf>): Promise<ConverseStreamOutput[]> {
  const response = await emulator.runtime(auth).send(new ConverseStreamCommand({ modelId, messages: [userText(text)], toolConfig }));
  const events: ConverseStreamOutput[] = [];
  for await (const event of response.stream ?? []) events.push(event);
  return events;
}

describe("Converse default answer", () => {
  test("quotes the last user text with plausible usage", async () => {
    const response = await emulator.runtime().send(
      new ConverseCommand({ modelId: sonnet, system: [{ text: "Be brief." }], messages: [userText("What is the capital of France?")] }),
    );
    expect(response.output?.message).toEqual({ role: "assistant", content: [{ text: 'You said: "What is the capital of France?"' }] });
    expect(response.stopReason).toBe("end_turn");
    const usage = response.usage;
    expect(usage?.inputTokens).toBe(Math.ceil(("Be brief.".length + "What is the capital of France?".length) / 4));
    expect(usage?.outputTokens).toBe(Math.ceil('You said: "What is the capital of France?"'.length / 4));
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    expect(usage?.cacheReadInputTokens).toBe(0);
    expect(typeof response.metrics?.latencyMs).toBe("number");
  });

  test("truncates the quote to 200 characters", async () => {
    const long = "x".repeat(500);
    const response = await emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [userText(long)] }));
    expect(response.output?.message?.content?.[0]?.text).toBe(`You said: "${"x".repeat(200)}"`);
  });

  test("quotes tool results when the last user message has no text", async () => {
    const response = await emulator.runtime().send(
      new ConverseCommand({
        modelId: sonnet,
        toolConfig: { tools: [{ toolSpec: { name: "lookup", inputSchema: { json: { type: "object" } } } }] },
        messages: [
          userText("look it up"),
          { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "lookup", input: {} } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "42" }] } }] },
        ],
      }),
    );
    expect(response.output?.message?.content?.[0]?.text).toBe('You said: "42"');
  });

  test("ConverseStream streams the same answer, with Claude's messageStop fields and metadata last", async () => {
    const events = await streamEvents();
    expect(events[0]).toEqual({ messageStart: { role: "assistant" } });
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? "").join("");
    expect(text).toBe('You said: "Hello there"');
    expect(events.some((event) => event.contentBlockStart)).toBe(false);
    const stop = events.at(-2)?.messageStop;
    expect(stop?.stopReason).toBe("end_turn");
    expect(stop?.additionalModelResponseFields).toEqual({ delta: { stop_sequence: null } });
    const metadata = events.at(-1)?.metadata;
    expect(metadata?.usage?.inputTokens).toBe(Math.ceil("Hello there".length / 4));
    expect(metadata?.usage?.cacheReadInputTokens).toBeUndefined();
  });

  test("non-Claude models get no additionalModelResponseFields", async () => {
    const events = await streamEvents("sigv4", qwen);
    expect(events.at(-2)?.messageStop?.additionalModelResponseFields).toBeUndefined();
  });

  test("a Bedrock API key (bearer token) is accepted", async () => {
    const events = await streamEvents("bearer");
    expect(events.at(-2)?.messageStop?.stopReason).toBe("end_turn");
    const [request] = await emulator.requests();
    expect(request?.headers["authorization"]).toBe("Bearer abc");
  });

  test("the stop_sequence response field is returned when asked for", async () => {
    const response = await emulator.runtime().send(
      new ConverseCommand({ modelId: sonnet, messages: [userText("hi")], additionalModelResponseFieldPaths: ["/stop_sequence"] }),
    );
    expect(response.additionalModelResponseFields).toEqual({ stop_sequence: null });
  });

  test("a stop_sequence stop names the request's stop sequence in Claude's response fields", async () => {
    await emulator.queue({ stopReason: "stop_sequence" }, { stopReason: "stop_sequence" });
    const request = { modelId: sonnet, messages: [userText("hi")], inferenceConfig: { stopSequences: ["END"] } };
    const response = await emulator.runtime().send(new ConverseCommand({ ...request, additionalModelResponseFieldPaths: ["/stop_sequence"] }));
    expect(response.stopReason).toBe("stop_sequence");
    expect(response.additionalModelResponseFields).toEqual({ stop_sequence: "END" });
    const stream = await emulator.runtime().send(new ConverseStreamCommand(request));
    const events: ConverseStreamOutput[] = [];
    for await (const event of stream.stream ?? []) events.push(event);
    expect(events.at(-2)?.messageStop?.additionalModelResponseFields).toEqual({ delta: { stop_sequence: "END" } });
  });
});

const scripted = [
  { reasoning: { text: "The user greets me. I should greet back.", signature: "sig-123" } },
  { redactedReasoning: Buffer.from("opaque").toString("base64") },
  { text: "Hello! Let me check the weather." },
  { toolUse: { toolUseId: "tooluse_abc", name: "get_weather", input: { city: "Paris", days: 3 } } },
];

describe("Converse scripted answers", () => {
  test("reasoning, redacted reasoning, text and toolUse come back as Converse blocks", async () => {
    await emulator.queue({ content: scripted, usage: { inputTokens: 10, outputTokens: 20, cacheReadInputTokens: 5, cacheWriteInputTokens: 7 } });
    const response = await emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [userText("hi")], toolConfig: toolConfigOf("get_weather") }));
    const content = response.output?.message?.content ?? [];
    expect(content[0]?.reasoningContent?.reasoningText).toEqual({ text: "The user greets me. I should greet back.", signature: "sig-123" });
    expect(Buffer.from(content[1]?.reasoningContent?.redactedContent ?? new Uint8Array()).toString()).toBe("opaque");
    expect(content[2]?.text).toBe("Hello! Let me check the weather.");
    expect(content[3]?.toolUse).toEqual({ toolUseId: "tooluse_abc", name: "get_weather", input: { city: "Paris", days: 3 } });
    expect(response.stopReason).toBe("tool_use");
    expect(response.usage).toEqual({
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 42,
      cacheReadInputTokens: 5,
      cacheWriteInputTokens: 7,
    });
  });

  test("the stream follows real captures: reasoning deltas then signature, toolUse start then input fragments", async () => {
    await emulator.queue({ content: scripted, chunkChars: 8, usage: { cacheReadInputTokens: 5 } });
    const events = await streamEvents("sigv4", sonnet, "Hello there", toolConfigOf("get_weather"));
    const deltas = (index: number) => events.filter((event) => event.contentBlockDelta?.contentBlockIndex === index).map((event) => event.contentBlockDelta?.delta);

    const reasoning = deltas(0);
    expect(reasoning.slice(0, -1).map((delta) => delta?.reasoningContent?.text).join("")).toBe("The user greets me. I should greet back.");
    expect(reasoning.length).toBeGreaterThan(2);
    expect(reasoning.at(-1)?.reasoningContent?.signature).toBe("sig-123");

    expect(Buffer.from(deltas(1)[0]?.reasoningContent?.redactedContent ?? new Uint8Array()).toString()).toBe("opaque");
    expect(deltas(2).map((delta) => delta?.text).join("")).toBe("Hello! Let me check the weather.");

    const starts = events.filter((event) => event.contentBlockStart);
    expect(starts).toEqual([{ contentBlockStart: { contentBlockIndex: 3, start: { toolUse: { toolUseId: "tooluse_abc", name: "get_weather" } } } }]);
    const fragments = deltas(3).map((delta) => delta?.toolUse?.input ?? "");
    expect(fragments[0]).toBe("");
    expect(JSON.parse(fragments.join(""))).toEqual({ city: "Paris", days: 3 });

    expect(events.filter((event) => event.contentBlockStop).map((event) => event.contentBlockStop?.contentBlockIndex)).toEqual([0, 1, 2, 3]);
    expect(events.at(-2)?.messageStop?.stopReason).toBe("tool_use");
    expect(events.at(-1)?.metadata?.usage?.cacheReadInputTokens).toBe(5);
  });

  test("a toolUse without an id gets a tooluse_ id; a scripted stopReason wins", async () => {
    await emulator.queue({ content: [{ toolUse: { name: "f", input: {} } }], stopReason: "max_tokens" });
    const response = await emulator.runtime().send(new ConverseCommand({ modelId: sonnet, messages: [userText("hi")], toolConfig: toolConfigOf("f") }));
    expect(response.output?.message?.content?.[0]?.toolUse?.toolUseId).toMatch(/^tooluse_[A-Za-z0-9]{22}$/);
    expect(response.stopReason).toBe("max_tokens");
  });

  test("a model calls only the tools its toolConfig declares: a scripted call of any other is left out", async () => {
    await emulator.queue({ content: [{ text: "Let me look." }, { toolUse: { name: "lookup", input: {} } }] }, { content: [{ toolUse: { name: "lookup", input: {} } }] });
    const undeclared = await emulator.runtime().send(new ConverseCommand({ modelId: qwen, messages: [userText("hi")], toolConfig: toolConfigOf("other") }));
    expect(undeclared.output?.message?.content).toEqual([{ text: "Let me look." }]);
    expect(undeclared.stopReason).toBe("end_turn");
    const none = await emulator.runtime().send(new ConverseCommand({ modelId: qwen, messages: [userText("hi")] }));
    expect(none.output?.message?.content).toEqual([{ text: 'You said: "hi"' }]);
  });
});
