import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { messagesRequestSchema } from "../../src/anthropic/schema.ts";
import { toInvokeBody } from "../../src/bedrock/invoke/request.ts";
import { createModelResolver } from "../../src/bedrock/models.ts";
import { prepareRequest } from "../../src/bedrock/prepare.ts";
import { createLogger } from "../../lib/log.ts";

/** Anthropic-defined tools: what Bedrock's Claude takes goes on; a server tool Bedrock does not run is a 400 naming it, on both routes. */

const log = createLogger("error");
const resolver = createModelResolver({}, { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" });
const prepare = (tool: Record<string, unknown>, model: string) =>
  prepareRequest(messagesRequestSchema.parse({ model, max_tokens: 1000, tools: [tool], messages: [{ role: "user", content: "hi" }] }), resolver.resolve(model), [], log);
const refusal = (tool: Record<string, unknown>, model: string): string => {
  try {
    prepare(tool, model);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return error.message;
    throw error;
  }
  throw new Error("expected a 400");
};

const qwen = "qwen.qwen3-coder-480b-a35b-v1:0";

describe("server tools Bedrock does not run", () => {
  test.each([
    ["web_search_20250305", "web_search"],
    ["web_search_20260318", "web_search"],
    ["web_fetch_20250910", "web_fetch"],
    ["advisor_20260301", "advisor"],
  ])("%s is a 400 naming the tool, on both routes", (type, name) => {
    for (const model of ["claude-sonnet-4-6", qwen]) {
      expect(refusal({ type, name }, model)).toBe(`tools.0: the server tool \`${type}\` (${name}) runs on Anthropic's servers only; Bedrock does not offer it`);
    }
  });

  test.each(["code_execution_20250825", "code_execution_20260120"])("%s reaching Bedrock means PTC is off: a 400 saying how to turn it on", (type) => {
    for (const model of ["claude-sonnet-4-6", qwen]) {
      expect(refusal({ type, name: "code_execution" }, model)).toBe(`tools.0: \`${type}\` (code_execution): code execution is not enabled on this proxy (set SANDBOX_URL and SANDBOX_TOKEN)`);
    }
  });

  test("code_execution_20250522 (no programmatic tool calling) still runs on Anthropic's servers only", () => {
    const type = "code_execution_20250522";
    expect(refusal({ type, name: "code_execution" }, qwen)).toBe(`tools.0: the server tool \`${type}\` (code_execution) runs on Anthropic's servers only; Bedrock does not offer it`);
  });
});

describe("tools Anthropic defines that Bedrock's Claude takes", () => {
  test.each([
    { type: "bash_20250124", name: "bash" },
    { type: "text_editor_20250728", name: "str_replace_based_edit_tool" },
    { type: "computer_20250124", name: "computer", display_width_px: 1024, display_height_px: 768 },
    { type: "memory_20250818", name: "memory" },
  ])("$type goes to InvokeModel as it is", (tool) => {
    const prepared = prepare(tool, "claude-sonnet-4-6");
    expect(toInvokeBody(prepared, log).tools).toEqual([tool]);
  });

  test("tool search goes where the model has Bedrock's tool-search beta, and is a 400 elsewhere", () => {
    const tool = { type: "tool_search_tool_regex_20251119", name: "tool_search_tool_regex" };
    expect(toInvokeBody(prepare(tool, "claude-opus-4-5"), log).tools).toEqual([tool]);
    expect(refusal(tool, "claude-haiku-4-5")).toBe(
      "tools.0: the server tool `tool_search_tool_regex_20251119` (tool_search_tool_regex) is not offered by Bedrock for model claude-haiku-4-5",
    );
  });

  test("on Converse they have no counterpart: a 400 naming the tool", () => {
    expect(refusal({ type: "bash_20250124", name: "bash" }, qwen)).toBe(`tools.0: the Anthropic-defined tool \`bash_20250124\` (bash) has no Converse counterpart for model ${qwen}`);
  });
});
