import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { type MessagesRequest, messagesRequestSchema } from "../../src/anthropic/schema.ts";
import { toInvokeBody } from "../../src/bedrock/invoke/request.ts";
import { createModelResolver } from "../../src/bedrock/models.ts";
import { prepareRequest } from "../../src/bedrock/prepare.ts";
import { checkConverse } from "../../emulator/validate-converse.ts";
import { checkInvoke } from "../../emulator/validate-invoke.ts";
import { createLogger } from "../../lib/log.ts";
import { convert } from "./converse/support/convert.ts";
import { qwen as qwenCoder } from "./converse/support/models.ts";

/** Structured outputs (`output_config.format`, the beta `output_format`, tools' `strict`) reach the model or are a 400. */

const log = createLogger("error");
const resolver = createModelResolver({}, { opus: "global.anthropic.claude-opus-4-6-v1", sonnet: "global.anthropic.claude-sonnet-4-6", haiku: "global.anthropic.claude-haiku-4-5-20251001-v1:0" });
const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
const format = { type: "json_schema", schema };
const request = (fields: Record<string, unknown>): MessagesRequest =>
  messagesRequestSchema.parse({ model: "x", max_tokens: 2000, messages: [{ role: "user", content: "hi" }], ...fields });
const prepare = (fields: Record<string, unknown>, model: string) => prepareRequest(request(fields), resolver.resolve(model), [], log);
const invokeBody = (fields: Record<string, unknown>, model: string) => toInvokeBody(prepare(fields, model), log);
const refusal = (run: () => unknown): ApiError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected a 400");
};

describe("structured outputs on InvokeModel", () => {
  test.each(["claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-8"])("output_config.format reaches %s with no beta, and Bedrock's rules take it", (model) => {
    const body = invokeBody({ output_config: { format } }, model);
    expect(body.output_config).toEqual({ format });
    expect(body).not.toHaveProperty("anthropic_beta");
    expect(checkInvoke(resolver.resolve(model).modelId, body)).toMatchObject({ ok: true });
  });

  test("the beta `output_format` becomes `output_config.format`, beside the effort", () => {
    const body = invokeBody({ output_format: format, output_config: { effort: "low" } }, "claude-opus-4-8");
    expect(body).not.toHaveProperty("output_format");
    expect(body.output_config).toEqual({ effort: "low", format });
  });

  test("on a model without effort only the effort is dropped, the format stays", () => {
    expect(invokeBody({ output_config: { effort: "high", format } }, "claude-sonnet-4-5").output_config).toEqual({ format });
  });

  test("a strict tool keeps `strict` where the model has structured outputs", () => {
    const tools = [{ name: "lookup", input_schema: schema, strict: true }];
    const body = invokeBody({ tools }, "claude-haiku-4-5");
    expect(body.tools).toEqual(tools);
    expect(checkInvoke(resolver.resolve("claude-haiku-4-5").modelId, body)).toMatchObject({ ok: true });
  });

  test.each(["claude-opus-4-1", "claude-3-7-sonnet-20250219"])("%s has no structured outputs: a format or a strict tool is a 400 naming the field", (model) => {
    expect(refusal(() => prepare({ output_config: { format } }, model)).message).toBe(`output_config.format: model ${model} does not take structured outputs on Bedrock`);
    expect(refusal(() => prepare({ output_format: format }, model)).message).toBe(`output_format: model ${model} does not take structured outputs on Bedrock`);
    const tools = [{ name: "lookup", input_schema: schema, strict: true }];
    expect(refusal(() => prepare({ tools }, model)).message).toBe(`tools.0.strict: model ${model} does not take strict tools on Bedrock`);
  });

  test("`strict: false` changes nothing, so it is dropped where the model does not know it", () => {
    const body = invokeBody({ tools: [{ name: "lookup", input_schema: schema, strict: false }] }, "claude-opus-4-1");
    expect(body.tools).toEqual([{ name: "lookup", input_schema: schema }]);
  });

  test("`output_format` and `output_config.format` together are a 400", () => {
    expect(refusal(() => prepare({ output_format: format, output_config: { format } }, "claude-sonnet-4-6")).message).toBe(
      "output_format: send either `output_format` or `output_config.format`, not both",
    );
  });
});

describe("structured outputs on Converse", () => {
  test("output_config.format becomes outputConfig.textFormat with the schema as a JSON string", async () => {
    const { input } = await convert({ output_config: { format }, messages: [{ role: "user", content: "hi" }] }, { model: qwenCoder });
    expect(input.outputConfig).toEqual({ textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema) } } } });
    expect(checkConverse(qwenCoder.modelId, JSON.parse(JSON.stringify(input)))).toMatchObject({ ok: true });
  });

  test("a strict tool becomes a strict toolSpec", async () => {
    const { input } = await convert({ tools: [{ name: "lookup", input_schema: schema, strict: true }], messages: [{ role: "user", content: "hi" }] }, { model: qwenCoder });
    expect(input.toolConfig?.tools?.[0]?.toolSpec?.strict).toBe(true);
  });
});
