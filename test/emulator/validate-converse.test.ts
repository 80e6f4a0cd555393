import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ConverseCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { checkConverse } from "../../emulator/validate-converse.ts";
import { qwen, sonnet, useEmulator } from "./helpers.ts";
import { fixtureFiles } from "../support/fixtures.ts";

const emulator = useEmulator();

const user = (...content: unknown[]) => ({ role: "user", content });
const assistant = (...content: unknown[]) => ({ role: "assistant", content });
const text = (value: string) => ({ text: value });
const image = (format = "png") => ({ image: { format, source: { bytes: "iVBORw0KGgo=" } } });
const documentBlock = (name = "Report (final) [v2]", format = "pdf") => ({ document: { format, name, source: { bytes: "JVBERi0=" } } });
const toolUse = (toolUseId: string, name = "lookup") => ({ toolUse: { toolUseId, name, input: {} } });
const toolResult = (toolUseId: string, ...content: unknown[]) => ({ toolResult: { toolUseId, content: content.length ? content : [text("ok")] } });
const tools = (...names: string[]) => ({ tools: names.map((name) => ({ toolSpec: { name, inputSchema: { json: { type: "object" } } } })) });

function verdict(body: Record<string, unknown>, modelId = sonnet): string | null {
  const checked = checkConverse(modelId, body);
  return checked.ok ? null : checked.message;
}

const accepts = (body: Record<string, unknown>, modelId = sonnet) => expect(verdict(body, modelId)).toBeNull();
const rejects = (body: Record<string, unknown>, message: string | RegExp, modelId = sonnet) => {
  const actual = verdict(body, modelId);
  expect(actual).not.toBeNull();
  if (typeof message === "string") expect(actual).toContain(message);
  else expect(actual).toMatch(message);
};

describe("conversation shape", () => {
  test("messages must be present and non-empty", () => {
    rejects({}, "must start with a user message");
    rejects({ messages: [] }, "must start with a user message");
  });
  test("the first message must be the user's", () => rejects({ messages: [assistant(text("hi"))] }, "must start with a user message"));
  test("roles must alternate", () => {
    rejects(
      { messages: [user(text("a")), user(text("b"))] },
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
    );
  });
  test("roles are user or assistant", () => rejects({ messages: [{ role: "system", content: [text("x")] }] }, "Member must satisfy enum value set: [user, assistant]"));
  test("a content array may not be empty", () => rejects({ messages: [user()] }, "The content field in the Message object at messages.0 is empty."));
});

describe("content blocks", () => {
  test("a block has exactly one member, and only known ones", () => {
    rejects({ messages: [user({ text: "a", image: image().image })] }, "exactly one member");
    rejects({ messages: [user({})] }, "exactly one member");
    rejects({ messages: [user({ bogus: 1 })] }, "unknown members [bogus]");
  });
  test("blank or whitespace-only text is rejected with its position", () => {
    rejects(
      { messages: [user(text(" \n\t "))] },
      "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.",
    );
    rejects({ messages: [user(text("fine"), text(""))] }, "messages.0.content.1 is blank");
    rejects({ messages: [user(text("a")), assistant(text("  "))] }, "messages.1.content.0 is blank");
  });
  test("a whitespace-only block beside real text passes, as in a recorded request Bedrock accepted", () => {
    accepts({ messages: [user(text("fine"), text("\n"))] });
  });
  test("system text blocks may not be blank; an empty system list is fine", () => {
    rejects({ messages: [user(text("a"))], system: [text(" ")] }, "system.0 is blank");
    accepts({ messages: [user(text("a"))], system: [] });
    accepts({ messages: [user(text("a"))], system: [text("Be brief."), { cachePoint: { type: "default" } }] });
  });
  test("reasoning content only in assistant messages", () => {
    const reasoning = { reasoningContent: { reasoningText: { text: "hmm", signature: "s" } } };
    rejects({ messages: [user(reasoning, text("a"))] }, "only allowed in an assistant message");
    accepts({ messages: [user(text("a")), assistant(reasoning, text("b")), user(text("c"))] });
    accepts({ messages: [user(text("a")), assistant({ reasoningContent: { redactedContent: "b3BhcXVl" } }, text("b")), user(text("c"))] });
  });
});

describe("images and documents", () => {
  test("image formats are png, jpeg, gif, webp (so jpg is rejected)", () => {
    for (const format of ["png", "jpeg", "gif", "webp"]) accepts({ messages: [user(image(format), text("what is this?"))] });
    rejects({ messages: [user(image("jpg"), text("what is this?"))] }, "Member must satisfy enum value set: [png, jpeg, gif, webp]");
  });
  test("images and documents only in user messages", () => {
    rejects({ messages: [user(text("a")), assistant(image())] }, "only allowed in a user message");
    rejects({ messages: [user(text("a")), assistant(documentBlock())] }, "only allowed in a user message");
  });
  test("tool results may hold images", () => {
    accepts({ toolConfig: tools("lookup"), messages: [user(text("a")), assistant(toolUse("t1")), user(toolResult("t1", image()))] });
  });
  test("at most 20 images and 5 documents", () => {
    accepts({ messages: [user(...Array.from({ length: 20 }, () => image()), text("a"))] });
    rejects({ messages: [user(...Array.from({ length: 21 }, () => image()), text("a"))] }, "Too many images");
    accepts({ messages: [user(...Array.from({ length: 5 }, (_, i) => documentBlock(`doc ${i}`)), text("a"))] });
    rejects({ messages: [user(...Array.from({ length: 6 }, (_, i) => documentBlock(`doc ${i}`)), text("a"))] }, "Too many documents");
  });
  test("document formats are checked", () => {
    for (const format of ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"]) accepts({ messages: [user(documentBlock("a", format), text("x"))] });
    rejects({ messages: [user(documentBlock("a", "rtf"), text("x"))] }, "enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]");
  });
  test("document names: alphanumerics, single spaces, hyphens, parentheses, square brackets", () => {
    rejects({ messages: [user(documentBlock("report.pdf"), text("x"))] }, "The document file name can only contain");
    rejects({ messages: [user(documentBlock("two  spaces"), text("x"))] }, "The document file name can only contain");
    rejects({ messages: [user(documentBlock("under_score"), text("x"))] }, "The document file name can only contain");
  });
  test("a message with a document needs a text block", () => rejects({ messages: [user(documentBlock())] }, "contains a document but no text block"));
});

describe("tools", () => {
  test("toolUse or toolResult in the history needs toolConfig", () => {
    const message = "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
    rejects({ messages: [user(text("a")), assistant(toolUse("t1")), user(toolResult("t1"))] }, message);
    accepts({ toolConfig: tools("lookup"), messages: [user(text("a")), assistant(toolUse("t1")), user(toolResult("t1"))] });
  });
  test("tool names and tool-use ids match ^[a-zA-Z0-9_-]{1,64}$", () => {
    rejects({ toolConfig: tools("bad name"), messages: [user(text("a"))] }, "toolConfig.tools.0.toolSpec.name");
    rejects({ toolConfig: tools("x".repeat(65)), messages: [user(text("a"))] }, "regular expression pattern");
    rejects({ toolConfig: tools("f"), messages: [user(text("a")), assistant(toolUse("bad.id", "f")), user(toolResult("bad.id"))] }, "toolUse.toolUseId");
    rejects({ toolConfig: tools("f"), messages: [user(text("a")), assistant(toolUse("t1", "mcp:f")), user(toolResult("t1"))] }, "toolUse.name");
  });
  test("every toolUse gets its toolResult in the next user message", () => {
    rejects(
      { toolConfig: tools("lookup"), messages: [user(text("a")), assistant(toolUse("t1"), toolUse("t2")), user(toolResult("t1"))] },
      "Expected toolResult blocks at messages.2.content for the following Ids: t2",
    );
    rejects(
      { toolConfig: tools("lookup"), messages: [user(text("a")), assistant(toolUse("t1")), user(text("never mind"))] },
      "Expected toolResult blocks at messages.2.content for the following Ids: t1",
    );
  });
  test("a toolResult must answer a toolUse of the previous assistant message", () => {
    rejects(
      { toolConfig: tools("lookup"), messages: [user(text("a")), assistant(toolUse("t1")), user(toolResult("t1"), toolResult("t9"))] },
      "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn.",
    );
    rejects({ toolConfig: tools("lookup"), messages: [user(toolResult("t1"))] }, "messages.0.content exceeds");
  });
  test("toolUse only from the assistant, toolResult only from the user", () => {
    rejects({ toolConfig: tools("lookup"), messages: [user(toolUse("t1"))] }, "toolUse block at messages.0.content.0 is only allowed in an assistant message");
  });
  test("toolChoice needs tools, and a named tool must be declared", () => {
    rejects({ toolConfig: { toolChoice: { auto: {} } }, messages: [user(text("a"))] }, "toolConfig.tools");
    rejects({ toolConfig: { tools: [], toolChoice: { any: {} } }, messages: [user(text("a"))] }, "Member must have length greater than or equal to 1");
    rejects({ toolConfig: { ...tools("a"), toolChoice: { tool: { name: "b" } } }, messages: [user(text("a"))] }, "The tool b named in toolConfig.toolChoice is not defined");
    accepts({ toolConfig: { ...tools("a"), toolChoice: { tool: { name: "a" } } }, messages: [user(text("a"))] });
  });
  test("tool names must be unique", () => rejects({ toolConfig: tools("a", "a"), messages: [user(text("a"))] }, "tool name a more than once"));
});

describe("inference configuration", () => {
  const withConfig = (inferenceConfig: Record<string, unknown>) => ({ messages: [user(text("a"))], inferenceConfig });
  test("temperature and topP are within [0, 1]", () => {
    rejects(withConfig({ temperature: 1.5 }), "Value at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1");
    rejects(withConfig({ topP: -0.1 }), "inferenceConfig.topP");
    accepts(withConfig({ temperature: 0, topP: 1 }));
  });
  test("maxTokens is at least 1 and at most the model's limit", () => {
    rejects(withConfig({ maxTokens: 0 }), "Member must have value greater than or equal to 1");
    accepts(withConfig({ maxTokens: 64_000 }));
    rejects(withConfig({ maxTokens: 64_001 }), "The maximum tokens you requested exceeds the model limit of 64000");
    accepts(withConfig({ maxTokens: 128_000 }), "global.anthropic.claude-opus-4-6-v1");
    rejects(withConfig({ maxTokens: 128_001 }), "model limit of 128000", "global.anthropic.claude-opus-4-6-v1");
    rejects(withConfig({ maxTokens: 64_001 }), "model limit of 64000", "us.anthropic.claude-opus-4-5-20251101-v1:0");
    rejects(withConfig({ maxTokens: 10_001 }), "model limit of 10000", "us.amazon.nova-pro-v1:0");
    accepts(withConfig({ maxTokens: 65_536 }), qwen);
  });
});

describe("request metadata, service tier and betas", () => {
  const base = { messages: [user(text("a"))] };
  test("requestMetadata holds 1 to 16 string pairs", () => {
    accepts({ ...base, requestMetadata: { team: "search" } });
    rejects({ ...base, requestMetadata: {} }, "between 1 and 16 entries");
    rejects({ ...base, requestMetadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "between 1 and 16 entries");
    rejects({ ...base, requestMetadata: { n: 1 } }, "requestMetadata.n");
  });
  test("serviceTier is default, flex, priority or reserved; Anthropic models take neither flex nor priority", () => {
    accepts({ ...base, serviceTier: { type: "default" } });
    accepts({ ...base, serviceTier: { type: "reserved" } });
    rejects({ ...base, serviceTier: { type: "cheapest" } }, "The service tier provided is invalid.");
    rejects({ ...base, serviceTier: { type: "flex" } }, "The provided service tier is not supported for this model.");
    rejects({ ...base, serviceTier: { type: "priority" } }, "not supported for this model");
    accepts({ ...base, serviceTier: { type: "flex" } }, qwen);
  });
  test("anthropic_beta values must be accepted by the model", () => {
    accepts({ ...base, additionalModelRequestFields: { anthropic_beta: ["interleaved-thinking-2025-05-14"] } });
    rejects({ ...base, additionalModelRequestFields: { anthropic_beta: ["claude-code-20250219"] } }, "invalid beta flag");
    rejects({ ...base, additionalModelRequestFields: { anthropic_beta: "interleaved-thinking-2025-05-14" } }, "invalid beta flag");
    accepts({ ...base, additionalModelRequestFields: { anthropic_beta: ["anything"] } }, qwen);
  });
});

describe("structured outputs", () => {
  const closed = { type: "object", properties: { city: { type: "string" } }, additionalProperties: false };
  const textFormat = (schema: string) => ({ outputConfig: { textFormat: { type: "json_schema", structure: { jsonSchema: { schema } } } } });
  test("outputConfig.textFormat takes the schema as a JSON string", () => accepts({ messages: [user(text("hi"))], ...textFormat(JSON.stringify(closed)) }, qwen));
  test("a schema that is not JSON, or an open object, is refused", () => {
    rejects({ messages: [user(text("hi"))], ...textFormat("{") }, "outputConfig.textFormat.structure.jsonSchema.schema: the schema is not valid JSON", qwen);
    rejects({ messages: [user(text("hi"))], ...textFormat('{"type":"object"}') }, "'additionalProperties' must be explicitly set to false", qwen);
  });
  test("only json_schema is a format type", () => rejects({ messages: [user(text("hi"))], outputConfig: { textFormat: { type: "xml", structure: {} } } }, /json_schema/, qwen));
  test("a strict toolSpec's schema is held to the same rule", () => {
    const strictTool = (json: unknown) => ({ toolConfig: { tools: [{ toolSpec: { name: "lookup", inputSchema: { json }, strict: true } }] } });
    accepts({ messages: [user(text("hi"))], ...strictTool(closed) }, qwen);
    rejects({ messages: [user(text("hi"))], ...strictTool({ type: "object" }) }, "toolConfig.tools.0.toolSpec.inputSchema.json", qwen);
  });
  test("a model without structured outputs refuses both", () => {
    rejects({ messages: [user(text("hi"))], ...textFormat(JSON.stringify(closed)) }, "doesn't support structured outputs", "us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  });
});

describe("through the SDK", () => {
  test("a rule violation is a 400 ValidationException with Bedrock's message", async () => {
    const failure = emulator.runtime().send(
      new ConverseCommand({ modelId: sonnet, messages: [{ role: "user", content: [{ text: "a" }] }, { role: "user", content: [{ text: "b" }] }] }),
    );
    await expect(failure).rejects.toBeInstanceOf(ValidationException);
    await expect(failure).rejects.toThrow("must alternate between user and assistant roles");
  });
});

describe("golden: recorded requests of the kind real Bedrock accepts", () => {
  // Ours are written after the shape of accepted requests; the shared ones were accepted by real Bedrock.
  const files = ["bedrock-converse", "bedrock-converse-stream"].flatMap((dir) => fixtureFiles(dir, ".request.json"));

  test.skipIf(files.length === 0)("every recorded Converse request passes validation", () => {
    for (const file of files) {
      const recorded = JSON.parse(readFileSync(file, "utf8")) as { uri: string; body: string };
      const modelId = decodeURIComponent(recorded.uri.split("/model/")[1]?.split("/")[0] ?? "");
      expect({ file, verdict: verdict(JSON.parse(recorded.body) as Record<string, unknown>, modelId) }).toEqual({ file, verdict: null });
    }
  });
});
