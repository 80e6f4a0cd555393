import { describe, expect, test } from "bun:test";
import type { BetaMessageParam, BetaToolUnion } from "@anthropic-ai/sdk/resources/beta/messages";
import { ApiError } from "../../../src/anthropic/errors.ts";
import { messagesRequestSchema } from "../../../src/anthropic/schema.ts";
import { planPtc } from "../../../src/ptc/plan.ts";
import { describeIssues } from "../../../lib/zod-issues.ts";
import { clientRequest, codeTool, directTool, renamed, searchTool, weatherTool } from "./fixtures.ts";

/** planPtc: which requests are PTC, which tools the code may call, and the 400s Anthropic gives with PTC. */

const ask: BetaMessageParam = { role: "user", content: "hi" };
const hi = [ask];

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && error.type === "invalid_request_error") return error.message;
    throw error;
  }
  throw new Error("expected a 400");
}

describe("planPtc: accepted shapes", () => {
  test("no code execution tool: not PTC, even with allowed_callers on a tool", () => {
    expect(planPtc(clientRequest([directTool, { ...directTool, name: "other", allowed_callers: ["direct"] }], hi))).toBeUndefined();
    expect(planPtc(clientRequest([], hi))).toBeUndefined();
  });

  test.each(["code_execution_20250825", "code_execution_20260120"] as const)("%s turns PTC on, under any name", (version) => {
    const callable = { ...weatherTool, allowed_callers: [version] } satisfies BetaToolUnion;
    const plan = planPtc(clientRequest([renamed({ type: version, name: "code_execution" }, "run_python"), callable, directTool], hi));
    expect(plan).toEqual({ codeTool: { name: "run_python", version }, codeCallable: [callable] });
  });

  test("code-only, both, and direct-only tools: only the first two are callable from code, in the client's order", () => {
    const plan = planPtc(clientRequest([directTool, searchTool, codeTool, weatherTool], hi));
    expect(plan?.codeCallable.map((tool) => tool.name)).toEqual(["search-docs", "get_weather"]);
  });

  test("the code tool alone: PTC with nothing callable from code", () => {
    expect(planPtc(clientRequest([codeTool], hi))).toEqual({ codeTool: { name: "code_execution", version: "code_execution_20250825" }, codeCallable: [] });
  });


  test("strict on a direct-only tool, a forced direct tool, tool_choice auto/any/none and parallel calls allowed are fine", () => {
    const strictDirect = { ...directTool, strict: true } satisfies BetaToolUnion;
    for (const tool_choice of [{ type: "auto" }, { type: "any", disable_parallel_tool_use: false }, { type: "none" }, { type: "tool", name: "send_email" }, { type: "tool", name: "search-docs" }] as const) {
      expect(planPtc(clientRequest([codeTool, weatherTool, searchTool, strictDirect], hi, { tool_choice }))).toBeDefined();
    }
  });
});

describe("planPtc: what Anthropic refuses with PTC is a 400 naming the field", () => {
  test("strict on a tool callable from code", () => {
    const tools = [codeTool, directTool, { ...weatherTool, strict: true }] satisfies BetaToolUnion[];
    expect(refusal(() => planPtc(clientRequest(tools, hi)))).toBe("tools.2.strict: strict mode is not supported for tools callable from code execution (`get_weather`)");
  });

  test("a forced tool_choice of a code-only tool", () => {
    expect(refusal(() => planPtc(clientRequest([codeTool, weatherTool], hi, { tool_choice: { type: "tool", name: "get_weather" } })))).toBe(
      "tool_choice.name: `get_weather` can only be called from code (its allowed_callers is code_execution_20250825 only), so it cannot be forced",
    );
  });

  test.each(["auto", "any", "tool"] as const)("disable_parallel_tool_use: true (tool_choice %s)", (type) => {
    const tool_choice = type === "tool" ? { type, name: "send_email", disable_parallel_tool_use: true } : { type, disable_parallel_tool_use: true };
    expect(refusal(() => planPtc(clientRequest([codeTool, directTool], hi, { tool_choice })))).toBe(
      "tool_choice.disable_parallel_tool_use: not supported with programmatic tool calling (the request has a code execution tool)",
    );
  });

  test("a code execution version without programmatic tool calling", () => {
    for (const type of ["code_execution_20250522", "code_execution_20990101"]) {
      expect(refusal(() => planPtc(clientRequest([directTool, { type, name: "code_execution" } as BetaToolUnion], hi)))).toBe(
        `tools.1.type: \`${type}\` is not a code execution version this proxy runs; use one of code_execution_20250825, code_execution_20260120`,
      );
    }
  });

  test("two code execution tools", () => {
    const second = renamed({ type: "code_execution_20260120", name: "code_execution" }, "python");
    expect(refusal(() => planPtc(clientRequest([codeTool, directTool, second], hi)))).toBe("tools.2: only one code execution tool may be given (tools.0 is one)");
  });

  test("a client tool named as the code execution tool", () => {
    expect(refusal(() => planPtc(clientRequest([codeTool, { ...directTool, name: "code_execution" }], hi)))).toBe(
      "tools.1.name: `code_execution` is the code execution tool's name; tool names must be unique",
    );
  });

  test("allowed_callers naming another version than the request's code tool, or no one", () => {
    const other = { ...weatherTool, allowed_callers: ["direct", "code_execution_20260120"] } satisfies BetaToolUnion;
    expect(refusal(() => planPtc(clientRequest([codeTool, other], hi)))).toBe(
      "tools.1.allowed_callers: `code_execution_20260120` does not match the request's code execution tool (`code_execution_20250825`)",
    );
    expect(refusal(() => planPtc(clientRequest([codeTool, { ...weatherTool, allowed_callers: [] }], hi)))).toBe("tools.1.allowed_callers: must name at least one caller");
  });

  test("PTC blocks in the history without a code execution tool, whichever block it is", () => {
    const call: BetaMessageParam = { role: "assistant", content: [{ type: "server_tool_use", id: "srvtoolu_1", name: "code_execution", input: { code: "print(1)" } }] };
    const result: BetaMessageParam = {
      role: "assistant",
      content: [{ type: "code_execution_tool_result", tool_use_id: "srvtoolu_1", content: { type: "code_execution_result", stdout: "1\n", stderr: "", return_code: 0, content: [] } }],
    };
    const fromCode: BetaMessageParam = {
      role: "assistant",
      content: [{ type: "text", text: "ok" }, { type: "tool_use", id: "toolu_1", name: "get_weather", input: {}, caller: { type: "code_execution_20250825", tool_id: "srvtoolu_1" } }],
    };
    expect(refusal(() => planPtc(clientRequest([directTool], [ask, call, { role: "user", content: "go on" }])))).toBe(
      "messages.1.content.0: programmatic tool calling blocks need a code execution tool in `tools` (code_execution_20250825 or code_execution_20260120)",
    );
    expect(refusal(() => planPtc(clientRequest([], [ask, result])))).toStartWith("messages.1.content.0: ");
    expect(refusal(() => planPtc(clientRequest([directTool], [ask, fromCode])))).toStartWith("messages.1.content.1: ");
  });

  test("a direct caller or a web search server_tool_use in history is not PTC", () => {
    const history: BetaMessageParam[] = [
      ask,
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "send_email", input: { to: "a" }, caller: { type: "direct" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sent" }] },
    ];
    expect(planPtc(clientRequest([directTool], history))).toBeUndefined();
  });
});

describe("the schema: PTC fields a client gets wrong are a 400 naming the field", () => {
  test.each([
    [{ tools: [{ ...directTool, allowed_callers: ["model"] }] }, "tools.0.allowed_callers.0"],
    [{ messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "n", input: {}, caller: { type: "code_execution_20250825" } }] }] }, "messages.0.content.0.caller.tool_id"],
    [{ messages: [{ role: "assistant", content: [{ type: "server_tool_use", id: "s", input: {} }] }] }, "messages.0.content.0.name"],
    [{ messages: [{ role: "assistant", content: [{ type: "code_execution_tool_result", tool_use_id: "s", content: { type: "code_execution_result", stdout: "" } }] }] }, "messages.0.content.0.content.stderr"],
    [{ container: { id: "" } }, "container.id"],
  ])("%j", async (fields, path) => {
    const result = messagesRequestSchema.safeParse({ model: "m", max_tokens: 10, messages: hi, ...fields });
    expect(describeIssues(result.error?.issues ?? [])).toStartWith(`${path}: `);
  });

  test("container as a string or {id}, caller and the code blocks in the SDK's shapes parse", () => {
    for (const container of ["container_1", { id: "container_1" }, { id: null }]) {
      expect(clientRequest([codeTool], hi, { container }).container).toEqual(container);
    }
  });
});
