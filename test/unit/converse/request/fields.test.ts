import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../../src/anthropic/errors.ts";
import { sentCountTokensBody } from "../support/bedrock-sdk.ts";
import { assistant, convert, convertCount, user } from "../support/convert.ts";
import { claudeSonnet45, novaPro, qwen } from "../support/models.ts";

const ephemeral = { type: "ephemeral" } as const;

describe("toConverseRequest: system and cache points", () => {
  test("a string system → one text block; blank system → no system", async () => {
    expect((await convert({ system: "Be brief.", messages: [user("hi")] })).input.system).toEqual([{ text: "Be brief." }]);
    expect((await convert({ system: "  ", messages: [user("hi")] })).input.system).toBeUndefined();
  });

  test("system blocks with cache_control → cachePoint after the block (ttl 1h kept)", async () => {
    const { input } = await convert({
      system: [
        { type: "text", text: "billing line" },
        { type: "text", text: "You are a Claude agent.", cache_control: ephemeral },
        { type: "text", text: " " },
        { type: "text", text: "Long rules", cache_control: { type: "ephemeral", ttl: "1h" } },
      ],
      messages: [user("hi")],
    });
    expect(input.system).toEqual([
      { text: "billing line" },
      { text: "You are a Claude agent." },
      { cachePoint: { type: "default" } },
      { text: "Long rules" },
      { cachePoint: { type: "default", ttl: "1h" } },
    ]);
  });

  test("message cache_control → cachePoint after the block, only with profile.promptCaching", async () => {
    const body = { messages: [user([{ type: "text", text: "context", cache_control: ephemeral }, { type: "text", text: "question" }])] };
    expect((await convert(body)).input.messages?.[0]?.content).toEqual([{ text: "context" }, { cachePoint: { type: "default" } }, { text: "question" }]);
    const { input, notes } = await convert(body, { model: qwen });
    expect(input.messages?.[0]?.content).toEqual([{ text: "context" }, { text: "question" }]);
    expect(notes.filter((note) => note.includes("cache_control dropped"))).toHaveLength(1);
  });

  test("a cachePoint whose block was dropped does not start a message", async () => {
    const { input } = await convert({ messages: [user([{ type: "text", text: " ", cache_control: ephemeral }, { type: "text", text: "q" }])] });
    expect(input.messages?.[0]?.content).toEqual([{ text: "q" }]);
  });
});

describe("toConverseRequest: inference settings and model fields", () => {
  test("max_tokens, temperature, top_p, stop_sequences → inferenceConfig; modelId from the resolved model", async () => {
    const { input } = await convert({ max_tokens: 500, temperature: 0.2, top_p: 0.9, stop_sequences: ["###", ""], messages: [user("hi")] });
    expect(input.modelId).toBe(claudeSonnet45.modelId);
    expect(input.inferenceConfig).toEqual({ maxTokens: 500, temperature: 0.2, topP: 0.9, stopSequences: ["###"] });
  });

  test("top_k → additionalModelRequestFields.top_k for Claude only", async () => {
    expect((await convert({ top_k: 5, messages: [user("hi")] })).input.additionalModelRequestFields).toEqual({ top_k: 5 });
    const nova = await convert({ top_k: 5, messages: [user("hi")] }, { model: novaPro });
    expect(nova.input.additionalModelRequestFields).toBeUndefined();
    expect(nova.notes.some((note) => note.includes("top_k dropped"))).toBe(true);
  });

  test("betas → anthropic_beta only for Anthropic models and only when non-empty", async () => {
    expect((await convert({ messages: [user("hi")] }, { betas: ["interleaved-thinking-2025-05-14"] })).input.additionalModelRequestFields).toEqual({
      anthropic_beta: ["interleaved-thinking-2025-05-14"],
    });
    expect((await convert({ messages: [user("hi")] }, { betas: [] })).input.additionalModelRequestFields).toBeUndefined();
    expect((await convert({ messages: [user("hi")] }, { betas: ["x-2025-01-01"], model: novaPro })).input.additionalModelRequestFields).toBeUndefined();
  });

  test("Claude models ask for /stop_sequence back; others do not", async () => {
    expect((await convert({ messages: [user("hi")] })).input.additionalModelResponseFieldPaths).toEqual(["/stop_sequence"]);
    expect((await convert({ messages: [user("hi")] }, { model: novaPro })).input.additionalModelResponseFieldPaths).toBeUndefined();
  });

  test("metadata.user_id → requestMetadata, cleaned to Bedrock's characters and 256 characters", async () => {
    const claudeCode = '{"device_id":"a669e5","account_uuid":"","session_id":"4e868781-5322"}';
    const { input } = await convert({ metadata: { user_id: claudeCode }, messages: [user("hi")] });
    expect(input.requestMetadata).toEqual({ user_id: "device_id:a669e5,account_uuid:,session_id:4e868781-5322" });
    const long = await convert({ metadata: { user_id: "u".repeat(300) }, messages: [user("hi")] });
    expect(long.input.requestMetadata?.["user_id"]).toHaveLength(256);
    expect((await convert({ metadata: { user_id: null }, messages: [user("hi")] })).input.requestMetadata).toBeUndefined();
  });

  test("output_config.effort → output_config where the profile takes effort", async () => {
    const sonnet46 = await convert({ output_config: { effort: "high" }, messages: [user("hi")] }, { model: { ...claudeSonnet45, profile: { ...claudeSonnet45.profile, effort: true } } });
    expect(sonnet46.input.additionalModelRequestFields).toEqual({ output_config: { effort: "high" } });
    expect((await convert({ output_config: { effort: "high" }, messages: [user("hi")] })).input.additionalModelRequestFields).toBeUndefined();
  });

  test("context_management goes to Claude only with its beta forwarded", async () => {
    const body = { context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] }, messages: [user("hi")] };
    const withBeta = await convert(body, { betas: ["context-management-2025-06-27"] });
    expect(withBeta.input.additionalModelRequestFields).toEqual({
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
      anthropic_beta: ["context-management-2025-06-27"],
    });
    expect((await convert(body)).input.additionalModelRequestFields).toBeUndefined();
  });

  test("mcp_servers is a 400; container and service_tier are dropped with notes", async () => {
    const error = await convert({ mcp_servers: [{ type: "url", url: "https://mcp.test", name: "m" }], messages: [user("hi")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    const { notes } = await convert({ container: "cntr_1", service_tier: "auto", messages: [user("hi")] });
    expect(notes.some((note) => note.includes("container dropped"))).toBe(true);
  });
});

describe("toCountTokensInput", () => {
  test("shares the conversion: {converse: {messages, system, toolConfig}}", async () => {
    const input = await convertCount({
      system: [{ type: "text", text: "sys", cache_control: ephemeral }],
      tools: [{ name: "t", input_schema: { type: "object" } }],
      messages: [user("a"), user("b")],
    });
    expect(input).toEqual({
      converse: {
        messages: [{ role: "user", content: [{ text: "a" }, { text: "b" }] }],
        system: [{ text: "sys" }, { cachePoint: { type: "default" } }],
        toolConfig: { tools: [{ toolSpec: { name: "t", inputSchema: { json: { type: "object" } } } }] },
      },
    });
    expect(await sentCountTokensBody(input)).toEqual({ input: { converse: JSON.parse(JSON.stringify(input.converse)) } });
  });

  test("counts the conversation the message sends: system messages folded, turns merged, tool_choice none applied", async () => {
    const body = {
      system: "base",
      tools: [{ name: "t", input_schema: { type: "object" } }],
      tool_choice: { type: "none" },
      messages: [
        user("a"),
        { role: "system", content: "note" },
        assistant([{ type: "tool_use", id: "toolu_1", name: "t", input: {} }]),
        user([{ type: "tool_result", tool_use_id: "toolu_1", content: "r" }]),
        user("b"),
      ],
    };
    for (const model of [claudeSonnet45, qwen]) {
      const { converse } = await convertCount(body, { model });
      const { input } = await convert(body, { model });
      expect(converse).toEqual({ messages: input.messages, system: input.system });
    }
  });

  test("counting a conversation still waiting on tool results is not refused", async () => {
    const input = await convertCount({ messages: [user("q"), assistant([{ type: "tool_use", id: "toolu_1", name: "t", input: {} }])] });
    expect(input.converse.toolConfig?.tools).toHaveLength(1);
  });
});

describe("cache points of dropped blocks", () => {
  test("cache_control on a blank text still ends the cached prefix there", async () => {
    const { input } = await convert({
      messages: [user([{ type: "text", text: "context" }, { type: "text", text: "\n", cache_control: ephemeral }, { type: "text", text: "question" }])],
    });
    expect(input.messages?.[0]?.content).toEqual([{ text: "context" }, { cachePoint: { type: "default" } }, { text: "question" }]);
  });
});
