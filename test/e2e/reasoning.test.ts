import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * Reasoning models that are not Claude, end to end: the official SDK → the proxy → the emulator, which
 * holds each model to Bedrock's rules (the request fields it takes, reasoning it refuses in the history).
 * A thinking request, a streamed answer whose reasoning comes back as a thinking block, and a second
 * turn that sends the first answer back as the SDK gives it.
 */

const models = [
  { name: "gpt-oss", id: "openai.gpt-oss-120b-1:0", fields: { reasoning_effort: "low" }, replayed: [{ reasoningContent: { reasoningText: { text: "Let me think." } } }, { text: "Answer." }] },
  { name: "Nova 2", id: "us.amazon.nova-2-lite-v1:0", fields: { reasoningConfig: { type: "enabled", maxReasoningEffort: "low" } }, replayed: [{ text: "Answer." }] },
  { name: "DeepSeek R1", id: "us.deepseek.r1-v1:0", fields: undefined, replayed: [{ text: "Answer." }] },
] as const;

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = stack.client();
});
afterAll(() => stack.stop());
beforeEach(() => stack.reset());

const lastBody = async () => (await stack.requests()).at(-1)?.body;

describe.each(models)("$name", ({ id, fields, replayed }) => {
  test("thinking is sent as the model's own field, and its reasoning streams back as a thinking block", async () => {
    await stack.script({ content: [{ reasoning: { text: "Let me think." } }, { text: "Answer." }], chunkChars: 4 });
    const message = await client.messages
      .stream({ model: id, max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 2048 }, messages: [{ role: "user", content: "q" }] })
      .finalMessage();
    expect(message.content as unknown[]).toMatchObject([
      { type: "thinking", thinking: "Let me think.", signature: "" },
      { type: "text", text: "Answer." },
    ]);
    expect((await lastBody())?.["additionalModelRequestFields"]).toEqual(fields);
  });

  test("a second turn replaying the first answer is accepted, with the model's replay rule applied", async () => {
    await stack.script({ content: [{ reasoning: { text: "Let me think." } }, { text: "Answer." }] }, { content: [{ text: "More." }] });
    const thinking = { type: "enabled", budget_tokens: 2048 } as const;
    const first = await client.messages.create({ model: id, max_tokens: 4096, thinking, messages: [{ role: "user", content: "q" }] });
    const second = await client.messages.create({
      model: id,
      max_tokens: 4096,
      thinking,
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: first.content },
        { role: "user", content: "and then?" },
      ],
    });
    expect(second.content as unknown[]).toEqual([{ type: "text", text: "More." }]);
    const messages = (await lastBody())?.["messages"] as { content: unknown[] }[];
    expect(messages[1]?.content).toEqual([...replayed]);
  });
});
