import { describe, expect, test } from "bun:test";
import { ConverseCommand, ConverseStreamCommand, type ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { checkConverse } from "../../emulator/validate-converse.ts";
import { qwen, sonnet, useEmulator } from "./helpers.ts";

/**
 * The emulator holds the reasoning models to Bedrock's rules: only the request fields each one takes,
 * no reasoning in the history where Bedrock refuses it, no signature on a model that does not sign.
 */

const emulator = useEmulator();

const gptOss = "openai.gpt-oss-120b-1:0";
const nova2 = "us.amazon.nova-2-lite-v1:0";
const deepseekR1 = "us.deepseek.r1-v1:0";
const deepseekV3 = "deepseek.v3-v1:0";
const kimi = "moonshot.kimi-k2-thinking";

const ask = { messages: [{ role: "user" as const, content: [{ text: "q" }] }], inferenceConfig: { maxTokens: 1000 } };
const withFields = (fields: Record<string, unknown>) => ({ ...ask, additionalModelRequestFields: fields });
const withReasoning = (reasoningText: Record<string, string>) => ({
  messages: [
    { role: "user", content: [{ text: "q" }] },
    { role: "assistant", content: [{ reasoningContent: { reasoningText } }, { text: "Answer." }] },
    { role: "user", content: [{ text: "and then?" }] },
  ],
});

const verdict = (modelId: string, body: Record<string, unknown>) => {
  const checked = checkConverse(modelId, body);
  return checked.ok ? null : checked.message;
};

describe("additionalModelRequestFields each reasoning model takes", () => {
  test("gpt-oss: reasoning_effort low, medium or high, nothing else", () => {
    for (const effort of ["low", "medium", "high"]) expect(verdict(gptOss, withFields({ reasoning_effort: effort }))).toBeNull();
    expect(verdict(gptOss, withFields({ reasoning_effort: "max" }))).toContain("reasoning_effort");
    expect(verdict(gptOss, withFields({ thinking: { type: "enabled", budget_tokens: 1024 } }))).toContain("extraneous key [thinking]");
  });

  test("Nova 2: reasoningConfig; high effort only without maxTokens, temperature and topP", () => {
    expect(verdict(nova2, withFields({ reasoningConfig: { type: "enabled", maxReasoningEffort: "medium" } }))).toBeNull();
    expect(verdict(nova2, withFields({ reasoningConfig: { type: "enabled" } }))).toContain("maxReasoningEffort");
    expect(verdict(nova2, withFields({ reasoning_effort: "low" }))).toContain("extraneous key [reasoning_effort]");
    const high = withFields({ reasoningConfig: { type: "enabled", maxReasoningEffort: "high" } });
    expect(verdict(nova2, high)).toContain("maxTokens");
    expect(verdict(nova2, { ...high, inferenceConfig: {} })).toBeNull();
  });

  test("DeepSeek V3 and Kimi K2 Thinking take reasoning_effort on their own scales; R1 takes none", () => {
    expect(verdict(deepseekV3, withFields({ reasoning_effort: "high" }))).toBeNull();
    expect(verdict(kimi, withFields({ reasoning_effort: "max" }))).toBeNull();
    expect(verdict(kimi, withFields({ reasoning_effort: "medium" }))).toContain("reasoning_effort");
    expect(verdict(deepseekR1, withFields({ reasoning_effort: "high" }))).toContain("extraneous key [reasoning_effort]");
  });

  test("models outside the table are not judged on their fields", () => {
    expect(verdict(qwen, withFields({ anything: 1 }))).toBeNull();
  });
});

describe("reasoning in the history", () => {
  test("DeepSeek R1 refuses it in Bedrock's words", () => {
    expect(verdict(deepseekR1, withReasoning({ text: "t" }))).toBe(
      "User messages cannot contain reasoning content. Please remove the reasoning content and try again.",
    );
  });

  test("gpt-oss takes reasoning text but refuses a signature", () => {
    expect(verdict(gptOss, withReasoning({ text: "t" }))).toBeNull();
    expect(verdict(gptOss, withReasoning({ text: "t", signature: "c2ln" }))).toBe(
      "This model doesn't support the reasoningContent.reasoningText.signature field. Remove reasoningContent.reasoningText.signature and try again.",
    );
  });

  test("Claude still takes signed reasoning", () => expect(verdict(sonnet, withReasoning({ text: "t", signature: "c2ln" }))).toBeNull());
});

describe("answers", () => {
  test("only Claude signs its reasoning: other models' reasoning comes without a signature, streamed or not", async () => {
    const turn = { content: [{ reasoning: { text: "Let me think." } }, { text: "Answer." }] };
    await emulator.queue(turn, turn);
    const response = await emulator.runtime().send(new ConverseCommand({ modelId: gptOss, ...ask }));
    expect(response.output?.message?.content?.[0]?.reasoningContent?.reasoningText).toEqual({ text: "Let me think." });
    const stream = await emulator.runtime().send(new ConverseStreamCommand({ modelId: gptOss, ...ask }));
    const events: ConverseStreamOutput[] = [];
    for await (const event of stream.stream ?? []) events.push(event);
    expect(events.some((event) => event.contentBlockDelta?.delta?.reasoningContent?.signature !== undefined)).toBe(false);
    expect(events.some((event) => event.contentBlockDelta?.delta?.reasoningContent?.text === "Let me think.")).toBe(true);
  });
});
