import { describe, expect, test } from "bun:test";
import { basename } from "node:path";
import { type MessagesRequest, messagesRequestSchema } from "../../src/anthropic/schema.ts";
import { parseBetaHeader } from "../../src/bedrock/betas.ts";
import { toInvokeBody } from "../../src/bedrock/invoke/request.ts";
import { createModelResolver } from "../../src/bedrock/models.ts";
import { prepareRequest } from "../../src/bedrock/prepare.ts";
import { checkInvoke } from "../../emulator/validate-invoke.ts";
import { createLogger } from "../../lib/log.ts";
import { type CapturedRequest, fixtureFiles, readJson } from "../support/fixtures.ts";

const log = createLogger("error");
const resolver = createModelResolver({}, { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" });
const targets = ["claude-opus-4-8", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-1"];

function invokeBody(request: MessagesRequest, model: string, betas: string[] = []) {
  const resolved = resolver.resolve(model);
  return { body: toInvokeBody(prepareRequest(request, resolved, betas, log), log), modelId: resolved.modelId };
}

const baseRequest = (fields: Record<string, unknown>) => messagesRequestSchema.parse({ model: "x", max_tokens: 2000, messages: [{ role: "user", content: "hi" }], ...fields });

describe("the InvokeModel body", () => {
  test("carries anthropic_version, never model or stream, and drops what Bedrock does not take", () => {
    const { body } = invokeBody(baseRequest({ stream: true, metadata: { user_id: "u" }, service_tier: "auto", container: "c", mcp_servers: [] }), "claude-sonnet-4-5");
    expect(body.anthropic_version).toBe("bedrock-2023-05-31");
    for (const field of ["model", "stream", "metadata", "service_tier", "container", "mcp_servers"]) expect(body).not.toHaveProperty(field);
  });

  test("betas go in the body, filtered for the model", () => {
    const { body } = invokeBody(baseRequest({}), "claude-sonnet-4-5", ["claude-code-20250219", "interleaved-thinking-2025-05-14"]);
    expect(body.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14"]);
    expect(invokeBody(baseRequest({}), "claude-sonnet-4-5").body).not.toHaveProperty("anthropic_beta");
  });

  test("input_examples reach a model that takes them, with Bedrock's beta, and are removed elsewhere", () => {
    const tools = [{ name: "lookup", input_schema: { type: "object" }, input_examples: [{ q: "a" }], allowed_callers: ["direct"] }];
    const onOpus45 = invokeBody(baseRequest({ tools }), "claude-opus-4-5").body;
    expect(onOpus45.tools).toEqual([{ name: "lookup", input_schema: { type: "object" }, input_examples: [{ q: "a" }] }]);
    expect(onOpus45.anthropic_beta).toContain("tool-examples-2025-10-29");
    const onHaiku = invokeBody(baseRequest({ tools }), "claude-haiku-4-5").body;
    expect(onHaiku.tools).toEqual([{ name: "lookup", input_schema: { type: "object" } }]);
    expect(onHaiku).not.toHaveProperty("anthropic_beta");
  });

  test("context_management goes with its beta where the model has it", () => {
    const context_management = { edits: [{ type: "clear_thinking_20251015", keep: "all" }] };
    const { body } = invokeBody(baseRequest({ context_management }), "claude-haiku-4-5");
    expect(body.context_management).toEqual(context_management);
    expect(body.anthropic_beta).toEqual(["context-management-2025-06-27"]);
    expect(invokeBody(baseRequest({ context_management }), "us.anthropic.claude-3-7-sonnet-20250219-v1:0").body).not.toHaveProperty("context_management");
  });

  test("a tool_use's programmatic `caller` is not echoed to Bedrock", () => {
    const messages = [
      { role: "user", content: "go" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "t", input: {}, caller: { type: "direct" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
    ];
    const { body } = invokeBody(baseRequest({ messages }), "claude-sonnet-4-5");
    expect(JSON.stringify(body.messages)).not.toContain("caller");
  });

  for (const path of new Set([...fixtureFiles("claude-code", ".request.json"), ...fixtureFiles("claude-code", "-request.json")])) {
    const captured = readJson<CapturedRequest & { url?: string }>(path);
    const raw = typeof captured.body === "string" ? (JSON.parse(captured.body) as unknown) : captured.body;
    const request = messagesRequestSchema.parse(raw);
    // The model the capture names (claude-opus-5-5 from 2.1.332 goes to the Opus default) and the table's others.
    for (const model of new Set([request.model, ...targets])) {
      test(`golden: ${basename(path)} on ${model} passes Bedrock's InvokeModel rules`, () => {
        const { body, modelId } = invokeBody(request, model, parseBetaHeader(captured.headers["anthropic-beta"]));
        const verdict = checkInvoke(modelId, body);
        expect(verdict.ok ? "ok" : verdict.message).toBe("ok");
        expect(JSON.stringify(body.messages)).not.toContain('"role":"system"');
        const display = request.thinking?.type === "disabled" ? undefined : request.thinking?.display;
        if (body.thinking !== undefined) expect((body.thinking as { display?: string }).display).toBe(display);
      });
    }
  }
});
