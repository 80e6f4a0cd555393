import { describe, expect, test } from "bun:test";
import { ApiError } from "../../../../src/anthropic/errors.ts";
import { toBedrockIdentifier } from "../../../../src/bedrock/converse/identifiers.ts";
import { emptyToolResultText } from "../../../../src/bedrock/converse/request/tool-results.ts";
import { assistant, convert, user } from "../support/convert.ts";
import { novaPro } from "../support/models.ts";

const weather = { name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } } } };
const toolUse = (id: string, name = "get_weather", input: unknown = { city: "Paris" }) => ({ type: "tool_use", id, name, input });
const toolResult = (id: string, content?: unknown, extra: Record<string, unknown> = {}) => ({
  type: "tool_result",
  tool_use_id: id,
  ...(content === undefined ? {} : { content }),
  ...extra,
});

describe("toConverseRequest: tools", () => {
  test("custom tools become toolSpecs with the schema as json", async () => {
    const { input } = await convert({ tools: [weather], messages: [user("hi")] });
    expect(input.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "get_weather", description: "Weather by city", inputSchema: { json: weather.input_schema } } }],
    });
  });

  test("a schema without `type` gets type object; an empty description is left out", async () => {
    const { input } = await convert({ tools: [{ name: "t", description: "", input_schema: { properties: {} } }], messages: [user("hi")] });
    expect(input.toolConfig?.tools?.[0]).toEqual({ toolSpec: { name: "t", inputSchema: { json: { properties: {}, type: "object" } } } });
  });

  test("tool cache_control becomes a cachePoint after the tool when the model caches", async () => {
    const { input } = await convert({ tools: [weather, { ...weather, name: "b", cache_control: { type: "ephemeral" } }], messages: [user("hi")] });
    expect(input.toolConfig?.tools?.map((tool) => Object.keys(tool)[0])).toEqual(["toolSpec", "toolSpec", "cachePoint"]);
    // Nova caches system and messages, but not tool definitions.
    const nova = await convert({ tools: [{ ...weather, cache_control: { type: "ephemeral" } }], messages: [user("hi")] }, { model: novaPro });
    expect(nova.input.toolConfig?.tools).toHaveLength(1);
    expect(nova.notes.some((note) => note.includes("cache_control on tools dropped"))).toBe(true);
  });

  test("input_examples are appended to the description, with a debug note", async () => {
    const { input, notes } = await convert({ tools: [{ ...weather, input_examples: [{ city: "Oslo" }, { city: "Rome" }] }], messages: [user("hi")] });
    expect(input.toolConfig?.tools?.[0]?.toolSpec?.description).toBe('Weather by city\n\nExamples of valid input:\n{"city":"Oslo"}\n{"city":"Rome"}');
    expect(notes.some((note) => note.includes("input_examples"))).toBe(true);
  });

  test("server tools are a 400 naming the tool (prepareRequest's, for both routes)", async () => {
    const error = await convert({ tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [user("hi")] }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toBe("tools.0: the server tool `web_search_20250305` (web_search) runs on Anthropic's servers only; Bedrock does not offer it");
  });

  test.each([
    [{ type: "auto" }, { auto: {} }],
    [{ type: "any" }, { any: {} }],
    [{ type: "tool", name: "get_weather" }, { tool: { name: "get_weather" } }],
    [{ type: "auto", disable_parallel_tool_use: true }, { auto: {} }],
  ])("tool_choice %j → %j", async (choice, expected) => {
    const { input } = await convert({ tools: [weather], tool_choice: choice, messages: [user("hi")] });
    expect(input.toolConfig?.toolChoice).toEqual(expected);
  });

  test("tool_choice none: no toolConfig, so no tool can be called (Converse has no \"none\")", async () => {
    const { input } = await convert({ tools: [weather], tool_choice: { type: "none" }, messages: [user("hi")] });
    expect(input.toolConfig).toBeUndefined();
  });

  test("tool_choice none with tool blocks in the history: they are told in words, results' images kept beside", async () => {
    const pixel = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };
    const { input } = await convert({
      tools: [weather],
      tool_choice: { type: "none" },
      messages: [
        user("weather?"),
        assistant([{ type: "text", text: "Checking." }, toolUse("toolu_1")]),
        user([{ type: "tool_result", tool_use_id: "toolu_1", is_error: true, content: [{ type: "text", text: "offline" }, pixel] }, { type: "text", text: "answer without tools" }]),
      ],
    });
    expect(input.toolConfig).toBeUndefined();
    expect(input.messages?.[1]?.content).toEqual([{ text: "Checking." }, { text: 'Called the tool get_weather (call toolu_1) with input {"city":"Paris"}' }]);
    expect(input.messages?.[2]?.content).toEqual([
      { text: "Error from the tool call toolu_1:" },
      { text: "offline" },
      { image: { format: "png", source: { bytes: expect.any(Uint8Array) } } },
      { text: "answer without tools" },
    ]);
  });

  test("pitfall 4: tool blocks in the history with no tools still get a toolConfig (minimal specs)", async () => {
    const { input } = await convert({
      messages: [user("weather?"), assistant([toolUse("toolu_1"), toolUse("toolu_2", "lookup")]), user([toolResult("toolu_1", "sunny"), toolResult("toolu_2", "x")])],
    });
    expect(input.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: "get_weather", inputSchema: { json: { type: "object", properties: {} } } } },
        { toolSpec: { name: "lookup", inputSchema: { json: { type: "object", properties: {} } } } },
      ],
    });
  });

  test("no tools and no tool blocks: no toolConfig, even with a tool_choice", async () => {
    const { input } = await convert({ tool_choice: { type: "auto" }, messages: [user("hi")] });
    expect(input.toolConfig).toBeUndefined();
  });

  test("tool_use and tool_result map to toolUse/toolResult; pitfall 13: ids verbatim", async () => {
    const { input } = await convert({
      tools: [weather],
      messages: [
        user("weather?"),
        assistant([{ type: "text", text: "Checking." }, toolUse("tooluse_W9DaUFg4Tj2cRPpndqxWSg")]),
        user([toolResult("tooluse_W9DaUFg4Tj2cRPpndqxWSg", "sunny")]),
      ],
    });
    expect(input.messages?.[1]?.content?.[1]).toEqual({ toolUse: { toolUseId: "tooluse_W9DaUFg4Tj2cRPpndqxWSg", name: "get_weather", input: { city: "Paris" } } });
    expect(input.messages?.[2]?.content?.[0]).toEqual({
      toolResult: { toolUseId: "tooluse_W9DaUFg4Tj2cRPpndqxWSg", content: [{ text: "sunny" }], status: "success" },
    });
  });

  test("ids outside Bedrock's pattern are mapped deterministically, the same on tool_use and tool_result", async () => {
    const odd = "call:1/with.dots";
    const { input } = await convert({ tools: [weather], messages: [user("q"), assistant([toolUse(odd)]), user([toolResult(odd, "r")])] });
    const id = input.messages?.[1]?.content?.[0]?.toolUse?.toolUseId;
    expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(id).toBe(toBedrockIdentifier(odd));
    expect(input.messages?.[2]?.content?.[0]?.toolResult?.toolUseId).toBe(id);
  });

  test("tool names Bedrock refuses are renamed in definitions, history and tool_choice alike, and restorable", async () => {
    const long = `mcp__server__${"x".repeat(80)}`;
    const { input, toolNames } = await convert({
      tools: [{ ...weather, name: long }],
      tool_choice: { type: "tool", name: long },
      messages: [user("q"), assistant([toolUse("toolu_1", long)]), user([toolResult("toolu_1", "r")])],
    });
    const name = input.toolConfig?.tools?.[0]?.toolSpec?.name ?? "";
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(input.toolConfig?.toolChoice).toEqual({ tool: { name } });
    expect(input.messages?.[1]?.content?.[0]?.toolUse?.name).toBe(name);
    expect(toolNames.toClient(name)).toBe(long);
    expect(toolNames.toClient("unknown_tool")).toBe("unknown_tool");
  });

  test("Claude Code's MCP names (legal) pass unchanged", async () => {
    const { input, toolNames } = await convert({ tools: [{ ...weather, name: "mcp__harness-tools__add" }], messages: [user("q")] });
    expect(input.toolConfig?.tools?.[0]?.toolSpec?.name).toBe("mcp__harness-tools__add");
    expect(toolNames.renamed()).toEqual([]);
  });

  describe("pitfall 5: every tool_use needs its tool_result in the next user message", () => {
    test("a missing tool_result is a 400 naming the id", async () => {
      const error = await convert({
        tools: [weather],
        messages: [user("q"), assistant([toolUse("toolu_a"), toolUse("toolu_b")]), user([toolResult("toolu_a", "r")])],
      }).catch((e: unknown) => e);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toContain("without `tool_result` blocks immediately after: toolu_b");
    });

    test("a tool_result later than the next message does not count", async () => {
      const error = await convert({
        tools: [weather],
        messages: [user("q"), assistant([toolUse("toolu_a")]), user("wait"), assistant("ok"), user([toolResult("toolu_a", "r")])],
      }).catch((e: unknown) => e);
      expect((error as ApiError).status).toBe(400);
    });

    test("a trailing assistant tool_use with no answer is a 400", async () => {
      const error = await convert({ tools: [weather], messages: [user("q"), assistant([toolUse("toolu_a")])] }).catch((e: unknown) => e);
      expect((error as ApiError).status).toBe(400);
    });

    test("a tool_result answering no tool_use of the previous message is a 400", async () => {
      const error = await convert({ tools: [weather], messages: [user([toolResult("toolu_ghost", "r")])] }).catch((e: unknown) => e);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toContain("toolu_ghost");
    });

    test("results split over consecutive user messages count once merged", async () => {
      const { input } = await convert({
        tools: [weather],
        messages: [user("q"), assistant([toolUse("toolu_a"), toolUse("toolu_b")]), user([toolResult("toolu_a", "1")]), user([toolResult("toolu_b", "2"), { type: "text", text: "go on" }])],
      });
      expect(input.messages?.[2]?.content?.map((block) => Object.keys(block)[0])).toEqual(["toolResult", "toolResult", "text"]);
    });
  });

  test("tool_use in a user message and tool_result in an assistant message are 400s", async () => {
    const inUser = await convert({ tools: [weather], messages: [user([toolUse("toolu_a")])] }).catch((e: unknown) => e);
    expect((inUser as ApiError).status).toBe(400);
    const inAssistant = await convert({ tools: [weather], messages: [user("q"), assistant([toolResult("toolu_a", "x")])] }).catch((e: unknown) => e);
    expect((inAssistant as ApiError).status).toBe(400);
  });

  describe("tool_result content", () => {
    const resultOf = async (content: unknown, extra: Record<string, unknown> = {}) => {
      const { input } = await convert({ tools: [weather], messages: [user("q"), assistant([toolUse("toolu_a")]), user([toolResult("toolu_a", content, extra)])] });
      return input.messages?.[2]?.content?.[0]?.toolResult;
    };

    test("pitfall 6: is_error → status error", async () => {
      expect((await resultOf("boom", { is_error: true }))?.status).toBe("error");
      expect((await resultOf("fine", { is_error: false }))?.status).toBe("success");
    });

    test("text that is valid JSON stays text (the model reads the string it was given)", async () => {
      expect((await resultOf('{"temp": 21}'))?.content).toEqual([{ text: '{"temp": 21}' }]);
    });

    test.each([[undefined], [""], ["  "], [[]], [[{ type: "text", text: " " }]]])(
      "empty content %j → the documented placeholder text",
      async (content) => {
        expect((await resultOf(content))?.content).toEqual([{ text: emptyToolResultText }]);
      },
    );

    test("an empty error result still has content (Bedrock refuses an empty error result)", async () => {
      expect(await resultOf(undefined, { is_error: true })).toEqual({ toolUseId: "toolu_a", content: [{ text: emptyToolResultText }], status: "error" });
    });

    test("pitfall 6: images in results → image blocks, format jpeg never jpg", async () => {
      const result = await resultOf([
        { type: "text", text: "screenshot:" },
        { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "AQID" } },
      ]);
      expect(result?.content).toEqual([{ text: "screenshot:" }, { image: { format: "jpeg", source: { bytes: new Uint8Array([1, 2, 3]) } } }]);
    });

    test("documents and search results in results", async () => {
      const result = await resultOf([
        { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" }, title: "notes.txt" },
        { type: "search_result", source: "https://x.test", title: "X", content: [{ type: "text", text: "found" }] },
      ]);
      expect(result?.content?.[0]?.document?.name).toBe("notes txt");
      expect(result?.content?.[1]).toEqual({ searchResult: { source: "https://x.test", title: "X", content: [{ text: "found" }] } });
    });

    test("cache_control on the result, or inside it, puts a cachePoint after the toolResult", async () => {
      for (const body of [
        { content: "r", extra: { cache_control: { type: "ephemeral" } } },
        { content: [{ type: "text", text: "r", cache_control: { type: "ephemeral" } }], extra: {} },
      ]) {
        const { input } = await convert({
          tools: [weather],
          messages: [user("q"), assistant([toolUse("toolu_a")]), user([toolResult("toolu_a", body.content, body.extra)])],
        });
        expect(input.messages?.[2]?.content?.map((block) => Object.keys(block)[0])).toEqual(["toolResult", "cachePoint"]);
      }
    });
  });
});
