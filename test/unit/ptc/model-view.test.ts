import { describe, expect, test } from "bun:test";
import type { BetaContentBlockParam, BetaMessageParam, BetaServerToolUseBlockParam, BetaToolUnion } from "@anthropic-ai/sdk/resources/beta/messages";
import type { MessagesRequest } from "../../../src/anthropic/schema.ts";
import { createModelResolver } from "../../../src/bedrock/models.ts";
import { mergeSameRole, prepareRequest, type Turn } from "../../../src/bedrock/prepare.ts";
import { toInvokeBody } from "../../../src/bedrock/invoke/request.ts";
import { codeResultForModel } from "../../../src/ptc/code-result.ts";
import { codeToolForModel } from "../../../src/ptc/code-tool.ts";
import { modelView } from "../../../src/ptc/model-view.ts";
import { planPtc, type PtcPlan } from "../../../src/ptc/plan.ts";
import { checkConverse } from "../../../emulator/validate-converse.ts";
import { checkInvoke } from "../../../emulator/validate-invoke.ts";
import { createLogger } from "../../../lib/log.ts";
import { sentConverseBody } from "../converse/support/bedrock-sdk.ts";
import { convert } from "../converse/support/convert.ts";
import { qwen } from "../converse/support/models.ts";
import { clientRequest, codeTool, directTool, searchTool, weatherTool } from "./fixtures.ts";

/** modelView: the tools and the history the model sees, and that both Bedrock routes take them. */

const log = createLogger("error");
const resolver = createModelResolver({}, { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" });
const tools: BetaToolUnion[] = [codeTool, weatherTool, searchTool, directTool];
const code = 'import asyncio\nr = await asyncio.gather(get_weather(city="Paris"), get_weather(city="Oslo"))\nprint(r)';

const ask: BetaMessageParam = { role: "user", content: "Weather in Paris and Oslo?" };
const srv = (id: string, source = code): BetaServerToolUseBlockParam => ({ type: "server_tool_use", id, name: "code_execution", input: { code: source } });
const fromCode = (id: string, tool_id: string): BetaContentBlockParam => ({
  type: "tool_use",
  id,
  name: "get_weather",
  input: { city: id },
  caller: { type: "code_execution_20250825", tool_id },
});
const done = (tool_use_id: string, stdout: string): BetaContentBlockParam => ({
  type: "code_execution_tool_result",
  tool_use_id,
  content: { type: "code_execution_result", stdout, stderr: "", return_code: 0, content: [] },
});
const result = (tool_use_id: string, content: string): BetaContentBlockParam => ({ type: "tool_result", tool_use_id, content });
const text = (value: string): BetaContentBlockParam => ({ type: "text", text: value });

/** What the model reads for a successful run, as a tool_result. */
const readsDone = (tool_use_id: string, stdout: string) => ({
  type: "tool_result",
  tool_use_id,
  content: codeResultForModel({ type: "code_execution_result", stdout, stderr: "", return_code: 0, content: [] }),
});
const callsCode = (id: string, source = code) => ({ type: "tool_use", id, name: "code_execution", input: { code: source } });

function viewOf(messages: BetaMessageParam[], fields: Parameters<typeof clientRequest>[2] = {}): { request: MessagesRequest; view: MessagesRequest; plan: PtcPlan } {
  const request = clientRequest(tools, messages, fields);
  const plan = planPtc(request);
  if (!plan) throw new Error("expected a PTC plan");
  return { request, view: modelView(request, plan), plan };
}

/** The model's turns as prepareRequest merges them. */
const turnsOf = (view: MessagesRequest): unknown => mergeSameRole(view.messages as Turn[]);

describe("the tools the model sees", () => {
  test("the code tool is an ordinary tool, code-only tools are gone, allowed_callers is gone", () => {
    const { view, plan } = viewOf([ask]);
    expect(view.tools).toEqual([codeToolForModel(plan), { name: searchTool.name, description: searchTool.description, input_schema: searchTool.input_schema }, directTool]);
  });

  test("a cache breakpoint on the code execution tool stays on the code tool", () => {
    const request = clientRequest([weatherTool, { ...codeTool, cache_control: { type: "ephemeral", ttl: "1h" } }], [ask]);
    const plan = planPtc(request);
    if (!plan) throw new Error("expected a PTC plan");
    expect(modelView(request, plan).tools).toEqual([{ ...codeToolForModel(plan), cache_control: { type: "ephemeral", ttl: "1h" } }]);
  });

  test("count_tokens requests get the same view", () => {
    const { request, view, plan } = viewOf([ask, { role: "assistant", content: [srv("srvtoolu_1"), fromCode("toolu_a", "srvtoolu_1")] }]);
    const { max_tokens: _max, ...count } = request;
    expect(modelView(count, plan)).toEqual(expect.objectContaining({ tools: view.tools, messages: view.messages }));
  });

  test("container goes; every other field stays", () => {
    const { view } = viewOf([ask], { container: { id: "container_1" }, stop_sequences: ["END"], system: "Be brief." });
    expect(view).not.toHaveProperty("container");
    expect(view).toMatchObject({ stop_sequences: ["END"], system: "Be brief.", max_tokens: 1000, model: "claude-sonnet-4-6" });
  });

  test("the client's request is left as it was", () => {
    const { request } = viewOf([ask, { role: "assistant", content: [srv("srvtoolu_1"), fromCode("toolu_1", "srvtoolu_1")] }], { container: "container_1" });
    const before = structuredClone(request);
    const plan = planPtc(request);
    if (plan) modelView(request, plan);
    expect(request).toEqual(before);
  });
});

describe("the history the model sees (the flat rule)", () => {
  test("a pause, then its resume: the code's calls and their results are not shown; the code call is", () => {
    const { view } = viewOf([
      ask,
      { role: "assistant", content: [text("Let me check."), srv("srvtoolu_1"), fromCode("toolu_a", "srvtoolu_1"), fromCode("toolu_b", "srvtoolu_1")] },
      { role: "user", content: [result("toolu_a", "sunny"), result("toolu_b", "rain")] },
    ]);
    // The resume ends on the model's unanswered code call: the loop answers it with the code's outcome.
    expect<unknown>(view.messages).toEqual([{ role: "user", content: "Weather in Paris and Oslo?" }, { role: "assistant", content: [text("Let me check."), callsCode("srvtoolu_1")] }]);
  });

  test("a code result, then text: the result is the user's answer to the code call, the text the model's next turn", () => {
    const { view } = viewOf([
      ask,
      { role: "assistant", content: [srv("srvtoolu_1"), fromCode("toolu_a", "srvtoolu_1")] },
      { role: "user", content: [result("toolu_a", "sunny")] },
      { role: "assistant", content: [done("srvtoolu_1", "sunny\n"), text("Sunny in Paris.")] },
      { role: "user", content: "Thanks" },
    ]);
    expect(turnsOf(view)).toEqual([
      { role: "user", content: "Weather in Paris and Oslo?" },
      { role: "assistant", content: [callsCode("srvtoolu_1")] },
      { role: "user", content: [readsDone("srvtoolu_1", "sunny\n")] },
      { role: "assistant", content: [text("Sunny in Paris.")] },
      { role: "user", content: "Thanks" },
    ]);
  });

  test("direct and code calls in one turn: the direct call keeps its place without its caller, both results follow", () => {
    const direct: BetaContentBlockParam = { type: "tool_use", id: "toolu_d", name: "send_email", input: { to: "a@b.c" }, caller: { type: "direct" } };
    const { view } = viewOf([ask, { role: "assistant", content: [srv("srvtoolu_1"), direct, done("srvtoolu_1", "ok\n")] }, { role: "user", content: [result("toolu_d", "sent")] }]);
    expect(turnsOf(view)).toEqual([
      { role: "user", content: "Weather in Paris and Oslo?" },
      { role: "assistant", content: [callsCode("srvtoolu_1"), { type: "tool_use", id: "toolu_d", name: "send_email", input: { to: "a@b.c" } }] },
      { role: "user", content: [readsDone("srvtoolu_1", "ok\n"), result("toolu_d", "sent")] },
    ]);
  });

  test("several code calls in one turn, one of them paused on the way: results in order, caller'd pairs gone", () => {
    const { view } = viewOf([
      ask,
      { role: "assistant", content: [text("Two runs."), srv("srvtoolu_1", "print(1)"), srv("srvtoolu_2"), done("srvtoolu_1", "1\n"), fromCode("toolu_a", "srvtoolu_2")] },
      { role: "user", content: [result("toolu_a", "sunny")] },
      { role: "assistant", content: [done("srvtoolu_2", "sunny\n"), text("Done.")] },
    ]);
    expect(turnsOf(view)).toEqual([
      { role: "user", content: "Weather in Paris and Oslo?" },
      { role: "assistant", content: [text("Two runs."), callsCode("srvtoolu_1", "print(1)"), callsCode("srvtoolu_2")] },
      { role: "user", content: [readsDone("srvtoolu_1", "1\n"), readsDone("srvtoolu_2", "sunny\n")] },
      { role: "assistant", content: [text("Done.")] },
    ]);
  });

  test("thinking blocks stay in place, before the code call they led to", () => {
    const thinking: BetaContentBlockParam = { type: "thinking", thinking: "Run code.", signature: "sig" };
    const redacted: BetaContentBlockParam = { type: "redacted_thinking", data: "opaque" };
    const { view } = viewOf([ask, { role: "assistant", content: [thinking, redacted, srv("srvtoolu_1"), done("srvtoolu_1", "x\n"), text("X.")] }]);
    expect(turnsOf(view)).toEqual([
      { role: "user", content: "Weather in Paris and Oslo?" },
      { role: "assistant", content: [thinking, redacted, callsCode("srvtoolu_1")] },
      { role: "user", content: [readsDone("srvtoolu_1", "x\n")] },
      { role: "assistant", content: [text("X.")] },
    ]);
  });

  test("string content and a history without PTC blocks are unchanged", () => {
    const messages: BetaMessageParam[] = [ask, { role: "assistant", content: "Which city?" }, { role: "user", content: [text("Paris")] }];
    expect<unknown>(viewOf(messages).view.messages).toEqual(messages);
  });

  test("an error outcome is what the model reads, marked as an error; a code call's cache_control stays on it", () => {
    const failed: BetaContentBlockParam = {
      type: "code_execution_tool_result",
      tool_use_id: "srvtoolu_1",
      content: { type: "code_execution_tool_result_error", error_code: "execution_time_exceeded" },
      cache_control: { type: "ephemeral" },
    };
    const { view } = viewOf([ask, { role: "assistant", content: [{ ...srv("srvtoolu_1"), cache_control: { type: "ephemeral" } }, failed] }]);
    expect(mergeSameRole(view.messages as Turn[]).slice(1)).toEqual<unknown>([
      { role: "assistant", content: [{ ...callsCode("srvtoolu_1"), cache_control: { type: "ephemeral" } }] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "srvtoolu_1",
            content: codeResultForModel({ type: "code_execution_tool_result_error", error_code: "execution_time_exceeded" }),
            is_error: true,
            cache_control: { type: "ephemeral" },
          },
        ],
      },
    ]);
  });

  test("a code call without its code as a string, or an encrypted result, is a 400 naming the block", () => {
    const noCode: BetaContentBlockParam = { type: "server_tool_use", id: "srvtoolu_1", name: "code_execution", input: { source: "print(1)" } };
    expect(() => viewOf([ask, { role: "assistant", content: [text("x"), noCode] }])).toThrow("messages.1.content.1.input.code: the code tool's input must hold its code as a string");
    const encrypted: BetaContentBlockParam = {
      type: "code_execution_tool_result",
      tool_use_id: "srvtoolu_1",
      content: { type: "encrypted_code_execution_result", encrypted_stdout: "x", stderr: "", return_code: 0, content: [] },
    };
    expect(() => viewOf([ask, { role: "assistant", content: [srv("srvtoolu_1"), encrypted] }])).toThrow("messages.1.content.1.content: an encrypted code execution result");
  });
});

describe("both Bedrock routes take the model's view", () => {
  const history: BetaMessageParam[] = [
    ask,
    { role: "assistant", content: [text("Checking."), srv("srvtoolu_1"), { type: "tool_use", id: "toolu_d", name: "send_email", input: { to: "a" }, caller: { type: "direct" } }, fromCode("toolu_a", "srvtoolu_1")] },
    { role: "user", content: [result("toolu_d", "sent"), result("toolu_a", "sunny")] },
    { role: "assistant", content: [done("srvtoolu_1", "sunny\n"), text("Sunny.")] },
    { role: "user", content: "And tomorrow?" },
  ];
  const ptcWords = /allowed_callers|caller|container|server_tool_use|code_execution_tool_result|code_execution_2/;

  test("InvokeModel (Claude): nothing Bedrock would refuse, by the emulator's rules", () => {
    const { view } = viewOf(history, { container: "container_1" });
    const model = resolver.resolve("claude-sonnet-4-6");
    const body = toInvokeBody(prepareRequest(view, model, ["advanced-tool-use-2025-11-20"], log), log);
    expect(JSON.stringify(body)).not.toMatch(ptcWords);
    expect(checkInvoke(model.modelId, body)).toMatchObject({ ok: true });
  });

  test("Converse (Qwen): nothing Bedrock would refuse, by the emulator's rules", async () => {
    const { view } = viewOf(history, { container: "container_1" });
    const { input } = await convert(view, { model: qwen });
    const wire = await sentConverseBody(input);
    expect(JSON.stringify(wire)).not.toMatch(ptcWords);
    expect(checkConverse(qwen.modelId, wire)).toMatchObject({ ok: true });
  });
});
