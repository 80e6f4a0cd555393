import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { InvokeModelWithResponseStreamCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { checkInvoke } from "../../emulator/validate-invoke.ts";
import { invokeBody, qwen, sonnet, useEmulator } from "./helpers.ts";
import { fixtureFiles } from "../support/fixtures.ts";

const emulator = useEmulator();

const sonnet46 = "global.anthropic.claude-sonnet-4-6";
const opus46 = "global.anthropic.claude-opus-4-6-v1";

function verdict(body: unknown, modelId = sonnet): string | null {
  const checked = checkInvoke(modelId, body);
  return checked.ok ? null : checked.message;
}

const accepts = (fields: Record<string, unknown>, modelId = sonnet) => expect(verdict(invokeBody(fields), modelId)).toBeNull();
const rejects = (fields: Record<string, unknown>, message: string, modelId = sonnet) => expect(verdict(invokeBody(fields), modelId)).toContain(message);

const toolUse = (id: string) => ({ type: "tool_use", id, name: "lookup", input: {} });
const toolResult = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "ok" });

describe("the body's JSON schema", () => {
  test("the body must be a JSON object", () => {
    expect(verdict([1, 2])).toContain("expected type: JSONObject, found: JSONArray");
  });
  test("model and stream are extraneous, in Bedrock's words", () => {
    expect(verdict(invokeBody({ model: "claude", stream: true }))).toBe(
      "Malformed input request: #: extraneous key [model] is not permitted#: extraneous key [stream] is not permitted, please reformat your input and try again.",
    );
  });
  test("other keys Bedrock does not take are extraneous too", () => {
    rejects({ service_tier: "auto" }, "extraneous key [service_tier] is not permitted");
    rejects({ container: "c1" }, "extraneous key [container] is not permitted");
  });
  test("every documented key is taken", () => {
    accepts({
      anthropic_beta: ["context-1m-2025-08-07"],
      system: [{ type: "text", text: "Be brief." }],
      stop_sequences: ["END"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      tools: [{ name: "lookup", input_schema: { type: "object" } }],
      tool_choice: { type: "auto" },
      context_management: { edits: [] },
      metadata: { user_id: "u1" },
    });
  });
  test("metadata takes only user_id", () => rejects({ metadata: { user_id: "u", tags: ["x"] } }, "metadata.tags: Extra inputs are not permitted"));
  test("anthropic_version, max_tokens and messages are required", () => {
    const { anthropic_version: _, ...withoutVersion } = invokeBody();
    expect(verdict(withoutVersion)).toContain("#: required key [anthropic_version] not found");
    const { max_tokens: __, ...withoutMax } = invokeBody();
    expect(verdict(withoutMax)).toContain("#: required key [max_tokens] not found");
  });
});

describe("Claude's rules", () => {
  test("anthropic_version must be bedrock-2023-05-31", () => rejects({ anthropic_version: "2023-06-01" }, "Invalid API version: 2023-06-01"));
  test("anthropic_beta must be a list of flags the model accepts", () => {
    rejects({ anthropic_beta: ["claude-code-20250219"] }, "invalid beta flag");
    rejects({ anthropic_beta: "context-1m-2025-08-07" }, "invalid beta flag");
    rejects({ anthropic_beta: ["effort-2025-11-24"] }, "invalid beta flag");
    accepts({ anthropic_beta: ["effort-2025-11-24"] }, sonnet46);
  });
  test("max_tokens is an integer from 1 to the model's limit", () => {
    rejects({ max_tokens: 0 }, "max_tokens: Input should be greater than or equal to 1");
    rejects({ max_tokens: 1.5 }, "max_tokens: Input should be a valid int");
    accepts({ max_tokens: 64_000 });
    rejects({ max_tokens: 64_001 }, "max_tokens: 64001 > 64000");
    accepts({ max_tokens: 128_000 }, opus46);
    rejects({ max_tokens: 128_001 }, "128001 > 128000", opus46);
  });
  test("temperature is within [0, 1]", () => rejects({ temperature: 1.2 }, "temperature: Input should be less than or equal to 1"));
  test("messages are non-empty, user or assistant; a system-role message is refused", () => {
    rejects({ messages: [] }, "messages: at least one message is required");
    rejects({ messages: [{ role: "system", content: "x" }, { role: "user", content: "hi" }] }, 'messages.0.role: Unexpected role "system"');
    rejects({ messages: [{ role: "tool", content: "x" }] }, "messages.0.role: Input should be 'user' or 'assistant'");
  });
  test("consecutive same-role messages are allowed (Anthropic merges them)", () => {
    accepts({ messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }, { role: "assistant", content: "c" }] });
  });
  test("empty content and blank text are refused, except a final assistant prefill", () => {
    rejects({ messages: [{ role: "user", content: [] }] }, "messages.0: all messages must have non-empty content");
    rejects({ messages: [{ role: "user", content: [{ type: "text", text: "" }] }] }, "text content blocks must be non-empty");
    rejects({ messages: [{ role: "user", content: "  " }] }, "text content blocks must contain non-whitespace text");
    accepts({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "" }] });
  });
  test("tool_use ids need tool_result blocks in the next (merged) user turn, and results need a tool_use", () => {
    rejects(
      { messages: [{ role: "user", content: "a" }, { role: "assistant", content: [toolUse("toolu_1")] }, { role: "user", content: "b" }] },
      "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
    );
    rejects({ messages: [{ role: "user", content: [toolResult("toolu_9")] }] }, "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9");
    accepts({
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: [toolUse("toolu_1")] },
        { role: "assistant", content: [toolUse("toolu_2")] },
        { role: "user", content: [toolResult("toolu_1")] },
        { role: "user", content: [toolResult("toolu_2"), { type: "text", text: "go on" }] },
      ],
    });
  });
});

describe("thinking and effort", () => {
  test("adaptive thinking only on models that have it", () => {
    rejects({ thinking: { type: "adaptive" } }, "thinking.type: Input tag 'adaptive' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'");
    accepts({ thinking: { type: "adaptive" } }, sonnet46);
    accepts({ thinking: { type: "adaptive" } }, opus46);
  });
  test("enabled thinking needs budget_tokens of at least 1024 and below max_tokens", () => {
    rejects({ thinking: { type: "enabled" } }, "thinking.enabled.budget_tokens: Field required");
    rejects({ thinking: { type: "enabled", budget_tokens: 1000 } }, "greater than or equal to 1024");
    rejects({ max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 2000 } }, "`max_tokens` must be greater than `thinking.budget_tokens`");
    accepts({ max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 } });
  });
  test("with interleaved thinking the budget may exceed max_tokens", () => {
    accepts({ max_tokens: 2000, anthropic_beta: ["interleaved-thinking-2025-05-14"], thinking: { type: "enabled", budget_tokens: 4000 } });
  });
  test("thinking's display is summarized or omitted, on both forms", () => {
    accepts({ thinking: { type: "adaptive", display: "omitted" } }, opus46);
    accepts({ max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024, display: "summarized" } });
    rejects({ thinking: { type: "adaptive", display: "loud" } }, "thinking.adaptive.display: Input should be 'summarized' or 'omitted'", opus46);
  });
  test("a deferred tool needs the tool-search beta", () => {
    const tools = [{ name: "a", input_schema: { type: "object" } }, { name: "b", input_schema: { type: "object" }, defer_loading: true }];
    rejects({ tools }, "tools.1.custom.defer_loading: Extra inputs are not permitted", opus46);
    accepts({ tools, anthropic_beta: ["tool-search-tool-2025-10-19"] }, opus46);
  });
  test("thinking takes no temperature other than 1", () => {
    rejects({ max_tokens: 2000, temperature: 0.5, thinking: { type: "enabled", budget_tokens: 1024 } }, "`temperature` may only be set to 1");
  });
  test("output_config.effort only on models with effort", () => {
    rejects({ output_config: { effort: "high" } }, "output_config.effort: Extra inputs are not permitted");
    accepts({ output_config: { effort: "high" } }, sonnet46);
    accepts({ output_config: { effort: "high" } }, "us.anthropic.claude-opus-4-5-20251101-v1:0");
  });
});

describe("models and the SDK", () => {
  test("a non-Claude model refuses the Anthropic body", () => {
    expect(verdict(invokeBody(), qwen)).toContain("extraneous key [anthropic_version] is not permitted");
  });
  test("a stream request that fails validation gets a plain 400, not event-stream frames", async () => {
    const failure = emulator.runtime().send(new InvokeModelWithResponseStreamCommand({ modelId: sonnet, body: JSON.stringify(invokeBody({ stream: true })) }));
    await expect(failure).rejects.toBeInstanceOf(ValidationException);
    await expect(failure).rejects.toThrow("extraneous key [stream] is not permitted");
    const raw = await emulator.post(`/model/${encodeURIComponent(sonnet)}/invoke-with-response-stream`, invokeBody({ model: "x" }));
    expect(raw.status).toBe(400);
    expect(raw.headers.get("content-type")).toContain("application/json");
  });
});

const closedSchema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };

describe("structured outputs", () => {
  const format = { type: "json_schema", schema: closedSchema };
  test("output_config.format on a model that has structured outputs, with no beta", () => accepts({ output_config: { format } }));
  test("output_config.format on a model without them is an extra input", () => {
    rejects({ output_config: { format } }, "output_config.format: Extra inputs are not permitted", "us.anthropic.claude-opus-4-1-20250805-v1:0");
  });
  test("every object of the schema must be closed", () => {
    const open = { type: "object", properties: { place: { type: "object", properties: {} } }, additionalProperties: false };
    rejects({ output_config: { format: { type: "json_schema", schema: open } } }, "For 'object' type, 'additionalProperties' must be explicitly set to false");
  });
  test("a strict tool on a model that has them; an extra input elsewhere", () => {
    const tools = [{ name: "lookup", input_schema: closedSchema, strict: true }];
    accepts({ tools });
    rejects({ tools }, "tools.0.custom.strict: Extra inputs are not permitted", "us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  });
});

describe("tools Anthropic defines", () => {
  test("a server tool Bedrock does not run fails Anthropic's tagged union", () => {
    rejects({ tools: [{ type: "web_search_20250305", name: "web_search" }] }, "tools.0: Input tag 'web_search_20250305' found using 'type' does not match any of the expected tags");
  });
  test("client tools Bedrock's Claude takes pass, tool search only where the model has its beta", () => {
    accepts({ tools: [{ type: "bash_20250124", name: "bash" }, { type: "text_editor_20250728", name: "str_replace_based_edit_tool" }] });
    accepts({ tools: [{ type: "tool_search_tool_bm25_20251119", name: "tool_search_tool_bm25" }] });
    rejects({ tools: [{ type: "tool_search_tool_bm25_20251119", name: "tool_search_tool_bm25" }] }, "Input tag 'tool_search_tool_bm25_20251119'", "global.anthropic.claude-haiku-4-5-20251001-v1:0");
  });
});

describe("golden: recorded requests of the kind real Bedrock accepts", () => {
  // Ours are written after the shape of accepted requests; the shared ones were accepted by real Bedrock.
  const files = ["bedrock-invoke", "bedrock-invoke-stream"].flatMap((dir) => fixtureFiles(dir, ".request.json"));

  test.skipIf(files.length === 0)("every recorded InvokeModel body passes validation", () => {
    for (const file of files) {
      const recorded = JSON.parse(readFileSync(file, "utf8")) as { uri: string; body: string };
      const modelId = decodeURIComponent(recorded.uri.split("/model/")[1]?.split("/")[0] ?? "");
      expect({ file, verdict: verdict(JSON.parse(recorded.body), modelId) }).toEqual({ file, verdict: null });
    }
  });
});
