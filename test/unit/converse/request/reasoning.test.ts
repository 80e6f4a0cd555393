import { describe, expect, test } from "bun:test";
import { toConverseRequest } from "../../../../src/bedrock/converse/request/index.ts";
import { prepareRequest } from "../../../../src/bedrock/prepare.ts";
import { createLogger } from "../../../../lib/log.ts";
import { assistant, convert, parseRequest, user } from "../support/convert.ts";
import { converseModel } from "../support/models.ts";

/** Reasoning on models that are not Claude: `thinking` as each model's own request field, and replay. */

const gptOss = converseModel("openai.gpt-oss-120b-1:0");
const nova2 = converseModel("us.amazon.nova-2-lite-v1:0");
const deepseekR1 = converseModel("us.deepseek.r1-v1:0");
const deepseekV3 = converseModel("deepseek.v3-v1:0");
const kimiThinking = converseModel("moonshot.kimi-k2-thinking");
const qwen3 = converseModel("qwen.qwen3-32b-v1:0");
const qwen3Coder = converseModel("qwen.qwen3-coder-480b-a35b-v1:0");

/** As the proxy does it: prepared for the model (adaptive made a budget, which max_tokens does not bound), then converted. */
async function fieldsFor(model: typeof gptOss, body: Record<string, unknown>) {
  const prepared = prepareRequest(parseRequest({ max_tokens: 32_768, messages: [user("hi")], ...body }), model, [], createLogger("error"));
  const loadImages = async () => new Map();
  const { input } = await toConverseRequest(prepared, { loadImages, debug: () => {} });
  return input.additionalModelRequestFields;
}

const enabled = (budget_tokens: number) => ({ thinking: { type: "enabled", budget_tokens } });
const adaptive = (effort?: string) => ({ thinking: { type: "adaptive" }, ...(effort ? { output_config: { effort } } : {}) });
const disabled = { thinking: { type: "disabled" } };

describe("thinking → each reasoning model's additionalModelRequestFields", () => {
  test("gpt-oss: reasoning_effort low/medium/high from the budget or adaptive's effort; disabled is its lowest effort", async () => {
    expect(await fieldsFor(gptOss, enabled(1024))).toEqual({ reasoning_effort: "low" });
    expect(await fieldsFor(gptOss, enabled(8_000))).toEqual({ reasoning_effort: "medium" });
    expect(await fieldsFor(gptOss, enabled(16_000))).toEqual({ reasoning_effort: "high" });
    expect(await fieldsFor(gptOss, enabled(30_000))).toEqual({ reasoning_effort: "high" });
    expect(await fieldsFor(gptOss, adaptive("medium"))).toEqual({ reasoning_effort: "medium" });
    expect(await fieldsFor(gptOss, adaptive())).toEqual({ reasoning_effort: "high" });
    expect(await fieldsFor(gptOss, disabled)).toEqual({ reasoning_effort: "low" });
    expect(await fieldsFor(gptOss, {})).toBeUndefined();
  });

  test("Nova 2: reasoningConfig enabled with maxReasoningEffort (high capped at medium); disabled sends nothing", async () => {
    expect(await fieldsFor(nova2, enabled(2_048))).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "low" } });
    expect(await fieldsFor(nova2, adaptive("medium"))).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "medium" } });
    expect(await fieldsFor(nova2, adaptive("max"))).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "medium" } });
    expect(await fieldsFor(nova2, disabled)).toBeUndefined();
  });

  test("DeepSeek V3.x: reasoning_effort turns its thinking on; off by default", async () => {
    expect(await fieldsFor(deepseekV3, enabled(12_000))).toEqual({ reasoning_effort: "high" });
    expect(await fieldsFor(deepseekV3, disabled)).toBeUndefined();
  });

  test("Kimi K2 Thinking: reasoning_effort low/high/max; disabled is its lowest effort", async () => {
    expect(await fieldsFor(kimiThinking, enabled(1024))).toEqual({ reasoning_effort: "low" });
    expect(await fieldsFor(kimiThinking, adaptive("medium"))).toEqual({ reasoning_effort: "high" });
    expect(await fieldsFor(kimiThinking, adaptive("max"))).toEqual({ reasoning_effort: "max" });
    expect(await fieldsFor(kimiThinking, disabled)).toEqual({ reasoning_effort: "low" });
  });

  test("DeepSeek R1 and Qwen3 reason with no switch: nothing is sent, whatever thinking says", async () => {
    for (const model of [deepseekR1, qwen3]) {
      expect(await fieldsFor(model, enabled(4_096))).toBeUndefined();
      expect(await fieldsFor(model, adaptive("high"))).toBeUndefined();
      expect(await fieldsFor(model, disabled)).toBeUndefined();
    }
  });

  test("a model that does not reason gets nothing", async () => {
    expect(await fieldsFor(qwen3Coder, enabled(4_096))).toBeUndefined();
  });
});

const reasoningHistory = [
  user("q"),
  assistant([
    { type: "thinking", thinking: "Let me think.", signature: "" },
    { type: "redacted_thinking", data: "EtkECkgIBxABGAI" },
    { type: "text", text: "Answer." },
  ]),
  user("and then?"),
];

describe("replaying reasoning in later turns", () => {
  test("gpt-oss keeps its reasoning text, never a signature or redacted reasoning", async () => {
    const signed = reasoningHistory.map((message, i) =>
      i === 1 ? assistant([{ type: "thinking", thinking: "Let me think.", signature: "c2ln" }, { type: "text", text: "Answer." }]) : message,
    );
    for (const messages of [reasoningHistory, signed]) {
      const { input } = await convert({ messages }, { model: gptOss });
      expect(input.messages?.[1]?.content).toEqual([{ reasoningContent: { reasoningText: { text: "Let me think." } } }, { text: "Answer." }]);
    }
  });

  test("DeepSeek, Kimi, Qwen3 and Nova 2 drop earlier reasoning (with a note)", async () => {
    for (const model of [deepseekR1, deepseekV3, kimiThinking, qwen3, nova2]) {
      const { input, notes } = await convert({ messages: reasoningHistory }, { model });
      expect(input.messages?.[1]?.content).toEqual([{ text: "Answer." }]);
      expect(notes.some((note) => note.includes("dropped"))).toBe(true);
    }
  });
});
