import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * Point 6 of issue 9 end to end (the official SDK → the proxy → the real AWS SDK → the emulator): a
 * request that changes the answer's contract is honoured or refused, never dropped. Structured outputs
 * reach Bedrock in the form each API takes and the answer follows the schema; a server tool Bedrock does
 * not run is a 400 naming it, before anything reaches Bedrock.
 */

const routes = [
  { name: "native Claude (InvokeModel)", model: "claude-sonnet-4-6", plain: "invoke" },
  { name: "Converse (Qwen3 Coder)", model: "qwen.qwen3-coder-480b-a35b-v1:0", plain: "converse" },
] as const;

const schema: { type: "object"; [keyword: string]: unknown } = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer" }, sunny: { type: "boolean" } },
  required: ["city", "days", "sunny"],
  additionalProperties: false,
};
const format = { type: "json_schema" as const, schema };
const strictTool = { name: "lookup", input_schema: schema, strict: true };

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack();
  client = stack.client();
});
afterAll(() => stack.stop());
beforeEach(() => stack.reset());

const textOf = (content: readonly { type: string }[]) => content.flatMap((block) => ("text" in block && typeof block.text === "string" ? [block.text] : [])).join("");

/** The answer follows the schema: every required field, of its type, and nothing else. */
function expectFollowsSchema(text: string) {
  const answer = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(answer).sort()).toEqual(["city", "days", "sunny"]);
  expect(typeof answer.city).toBe("string");
  expect(Number.isInteger(answer.days)).toBe(true);
  expect(typeof answer.sunny).toBe("boolean");
}

for (const route of routes) {
  describe(route.name, () => {
    const lastBody = async () => {
      const body = (await stack.requests()).filter((r) => r.operation.startsWith(route.plain)).at(-1)?.body;
      if (!body) throw new Error("nothing reached Bedrock");
      return body;
    };
    const expectFormatSent = async () => {
      const body = await lastBody();
      if (route.plain === "invoke") {
        expect(body.output_config).toEqual({ format });
        expect(body).not.toHaveProperty("output_format");
      } else {
        expect(body.outputConfig).toEqual({ textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema) } } } });
      }
    };

    test("output_config.format: the answer is JSON following the schema", async () => {
      const message = await client.messages.create({ model: route.model, max_tokens: 200, output_config: { format }, messages: [{ role: "user", content: "weather in Paris" }] });
      expectFollowsSchema(textOf(message.content));
      await expectFormatSent();
    });

    test("output_config.format, streamed", async () => {
      const stream = client.messages.stream({ model: route.model, max_tokens: 200, output_config: { format }, messages: [{ role: "user", content: "weather in Oslo" }] });
      expectFollowsSchema(textOf((await stream.finalMessage()).content));
      await expectFormatSent();
    });

    test("the structured-outputs beta's output_format is sent as output_config.format", async () => {
      const message = await client.beta.messages.create({
        model: route.model,
        max_tokens: 200,
        betas: ["structured-outputs-2025-11-13"],
        output_format: format,
        messages: [{ role: "user", content: "weather in Rome" }],
      });
      expectFollowsSchema(textOf(message.content));
      await expectFormatSent();
    });

    test("a strict tool reaches Bedrock strict", async () => {
      await stack.script({ content: [{ toolUse: { name: "lookup", input: { city: "Paris", days: 2, sunny: true } } }] });
      const message = await client.messages.create({ model: route.model, max_tokens: 200, tools: [strictTool], messages: [{ role: "user", content: "look it up" }] });
      expect(message.stop_reason).toBe("tool_use");
      const body = await lastBody();
      if (route.plain === "invoke") expect(body.tools).toEqual([strictTool]);
      else expect(body.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: "lookup", strict: true } }] });
    });

    const anthropicOnly = "runs on Anthropic's servers only; Bedrock does not offer it";
    for (const [tool, refusal] of [
      [{ type: "web_search_20250305", name: "web_search" }, `the server tool \`web_search_20250305\` (web_search) ${anthropicOnly}`],
      [{ type: "web_fetch_20250910", name: "web_fetch" }, `the server tool \`web_fetch_20250910\` (web_fetch) ${anthropicOnly}`],
      // This stack has no sandbox service, so the proxy does not run code either.
      [{ type: "code_execution_20250825", name: "code_execution" }, "`code_execution_20250825` (code_execution): code execution is not enabled on this proxy"],
    ] as const) {
      test(`${tool.type} is a 400 naming the tool, and nothing reaches Bedrock`, async () => {
        const tools = [{ name: "lookup", input_schema: { type: "object" } }, tool] as Anthropic.Messages.ToolUnion[];
        const error = await client.messages.create({ model: route.model, max_tokens: 100, tools, messages: [{ role: "user", content: "search" }] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Anthropic.BadRequestError);
        expect((error as InstanceType<typeof Anthropic.BadRequestError>).message).toContain(`tools.1: ${refusal}`);
        expect(await stack.requests()).toHaveLength(0);
      });
    }
  });
}

describe("a Claude model without structured outputs", () => {
  const model = "claude-opus-4-1";

  test("output_config.format is a 400 saying so", async () => {
    const error = await client.messages.create({ model, max_tokens: 100, output_config: { format }, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain(`output_config.format: model ${model} does not take structured outputs on Bedrock`);
    expect(await stack.requests()).toHaveLength(0);
  });

  test("a strict tool is a 400 saying so", async () => {
    const error = await client.messages.create({ model, max_tokens: 100, tools: [strictTool], messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain(`tools.0.strict: model ${model} does not take strict tools on Bedrock`);
  });

  test("the client tools Anthropic defines still go to Bedrock's Claude", async () => {
    const message = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      tools: [{ type: "bash_20250124", name: "bash" }, { type: "text_editor_20250728", name: "str_replace_based_edit_tool" }],
      messages: [{ role: "user", content: "list files" }],
    });
    expect(message.type).toBe("message");
    const body = (await stack.requests()).at(-1)?.body;
    expect(body?.tools).toEqual([{ type: "bash_20250124", name: "bash" }, { type: "text_editor_20250728", name: "str_replace_based_edit_tool" }]);
  });
});
