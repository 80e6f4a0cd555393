import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The Messages API end to end: the official SDK → the proxy → the real AWS SDK → the emulator.
 * Every behaviour runs on both upstream paths: Claude natively (InvokeModel) and a Converse model.
 */

const routes = [
  { name: "native Claude (InvokeModel)", model: "claude-sonnet-4-6", bedrockId: "global.anthropic.claude-sonnet-4-6", stream: "invoke-with-response-stream", plain: "invoke" },
  { name: "Converse (Qwen3 Coder)", model: "qwen.qwen3-coder-480b-a35b-v1:0", bedrockId: "qwen.qwen3-coder-480b-a35b-v1:0", stream: "converse-stream", plain: "converse" },
] as const;

const pngPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const tinyPdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF").toString("base64");

let stack: Stack;
let client: Anthropic;
let images: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  // The image host is on loopback, which image URLs reach only when the operator allows it.
  stack = await startStack({ IMAGE_FETCH_MAX_BYTES: "10000", IMAGE_FETCH_TIMEOUT_MS: "300", IMAGE_FETCH_ALLOW_HOSTS: "127.0.0.1" });
  client = stack.client();
  // A local image host: a PNG, one too large, one that is not an image, one that never answers.
  images = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/pixel.png") return new Response(Buffer.from(pngPixel, "base64"), { headers: { "content-type": "image/png" } });
      if (path === "/huge.png") return new Response(new Uint8Array(50_000), { headers: { "content-type": "image/png" } });
      if (path === "/page.html") return new Response("<html></html>", { headers: { "content-type": "text/html" } });
      if (path === "/slow.png") return Bun.sleep(2_000).then(() => new Response(Buffer.from(pngPixel, "base64"), { headers: { "content-type": "image/png" } }));
      return new Response("missing", { status: 404 });
    },
  });
});
afterAll(async () => {
  images.stop(true);
  await stack.stop();
});
beforeEach(() => stack.reset());

for (const route of routes) {
  describe(route.name, () => {
    const lastRequest = async (operation: string) => {
      const requests = (await stack.requests()).filter((r) => r.operation === operation);
      expect(requests.length).toBeGreaterThan(0);
      const last = requests.at(-1);
      if (!last) throw new Error("no request");
      expect(last.modelId).toBe(route.bedrockId);
      expect(last.headers["user-agent"]).toMatch(/^anthropic-bedrock-proxy\//);
      return last.body;
    };

    test("plain text, not streamed", async () => {
      const message = await client.messages.create({ model: route.model, max_tokens: 100, messages: [{ role: "user", content: "hello there" }] });
      expect(message.type).toBe("message");
      expect(message.role).toBe("assistant");
      expect(message.model).toBe(route.model);
      expect(message.id).toMatch(/^msg_/);
      expect(message.content[0]).toMatchObject({ type: "text" });
      expect(JSON.stringify(message.content)).toContain("hello there");
      expect(message.stop_reason).toBe("end_turn");
      expect(message.usage.input_tokens).toBeGreaterThan(0);
      expect(message.usage.output_tokens).toBeGreaterThan(0);
      await lastRequest(route.plain);
    });

    test("plain text, streamed, events in order with usage on message_start", async () => {
      await stack.script({ content: [{ text: "one two three four five six seven" }], chunkChars: 5, usage: { inputTokens: 11, outputTokens: 7 } });
      const stream = client.messages.stream({ model: route.model, max_tokens: 100, messages: [{ role: "user", content: "count" }] });
      const types: string[] = [];
      let startInput: number | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "message_start") startInput = event.message.usage.input_tokens;
      }
      const final = await stream.finalMessage();
      expect(final.content).toHaveLength(1);
      expect(final.content[0]).toMatchObject({ type: "text", text: "one two three four five six seven" });
      expect(types[0]).toBe("message_start");
      expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
      expect(types.indexOf("content_block_start")).toBeLessThan(types.indexOf("content_block_delta"));
      expect(types.filter((t) => t === "content_block_delta").length).toBeGreaterThan(3);
      expect(typeof startInput).toBe("number");
      expect(final.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
      await lastRequest(route.stream);
    });

    test("tool round trip with parallel calls", async () => {
      await stack.script({
        content: [
          { text: "Checking both." },
          { toolUse: { name: "get_weather", input: { city: "Paris" } } },
          { toolUse: { name: "get_time", input: { zone: "CET" } } },
        ],
      });
      const tools: Anthropic.Tool[] = [
        { name: "get_weather", description: "Weather for a city", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
        { name: "get_time", description: "Time in a zone", input_schema: { type: "object", properties: { zone: { type: "string" } } } },
      ];
      const question: Anthropic.MessageParam = { role: "user", content: "weather and time in Paris?" };
      const first = await client.messages.stream({ model: route.model, max_tokens: 200, tools, messages: [question] }).finalMessage();
      expect(first.stop_reason).toBe("tool_use");
      const uses = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
      expect(uses.map((u) => [u.name, u.input])).toEqual([
        ["get_weather", { city: "Paris" }],
        ["get_time", { zone: "CET" }],
      ]);

      await stack.script({ match: { lastUserText: "18C" }, content: [{ text: "Sunny, 18C, at noon." }] });
      const second = await client.messages.create({
        model: route.model,
        max_tokens: 200,
        tools,
        messages: [
          question,
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: uses[0]?.id ?? "", content: "18C and sunny" },
              { type: "tool_result", tool_use_id: uses[1]?.id ?? "", content: [{ type: "text", text: "12:00" }] },
            ],
          },
        ],
      });
      expect(second.content[0]).toMatchObject({ type: "text", text: "Sunny, 18C, at noon." });
      const sent = JSON.stringify(await lastRequest(route.plain));
      for (const use of uses) expect(sent).toContain(use.id);
    });

    test("thinking with its signature survives the round trip", async () => {
      await stack.script({ content: [{ reasoning: { text: "Let me think.", signature: "sig-abc==" } }, { text: "42" }] });
      const thinking = { type: "enabled", budget_tokens: 1024 } as const;
      const first = await client.messages.stream({ model: route.model, max_tokens: 2000, thinking, messages: [{ role: "user", content: "meaning?" }] }).finalMessage();
      if (route.plain === "converse") {
        // A model without thinking loses the setting; what it reasons anyway still arrives, unsigned (only Claude signs).
        expect(first.content[0]).toMatchObject({ type: "thinking", thinking: "Let me think.", signature: "" });
        return;
      }
      expect(first.content[0]).toEqual({ type: "thinking", thinking: "Let me think.", signature: "sig-abc==" });
      await client.messages.create({
        model: route.model,
        max_tokens: 2000,
        thinking,
        messages: [
          { role: "user", content: "meaning?" },
          { role: "assistant", content: first.content },
          { role: "user", content: "why?" },
        ],
      });
      const sent = JSON.stringify(await lastRequest(route.plain));
      expect(sent).toContain("sig-abc==");
      expect(sent).toContain("Let me think.");
    });

    test("redacted thinking arrives whole", async () => {
      const data = "RXRrRUNrZ0lCeEFCR0FJcVFK";
      // Bedrock's wire value is the base64 of the blob, whose bytes are Anthropic's own base64 text.
      await stack.script({ content: [{ redactedReasoning: Buffer.from(data).toString("base64") }, { text: "done" }] });
      const message = await client.messages.stream({ model: route.model, max_tokens: 2000, messages: [{ role: "user", content: "x" }] }).finalMessage();
      expect(message.content[0]).toEqual({ type: "redacted_thinking", data });
      expect(message.content[1]).toMatchObject({ type: "text", text: "done" });
    });

    test("images, PDFs and text documents reach Bedrock", async () => {
      await client.messages.create({
        model: route.model,
        max_tokens: 100,
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: pngPixel } },
              { type: "document", source: { type: "base64", media_type: "application/pdf", data: tinyPdf }, title: "Report.pdf" },
              { type: "document", source: { type: "text", media_type: "text/plain", data: "plain notes" }, title: "notes" },
              { type: "text", text: "describe these" },
            ],
          },
        ],
      });
      const sent = JSON.stringify(await lastRequest(route.plain));
      expect(sent.includes("plain notes") || sent.includes(Buffer.from("plain notes").toString("base64"))).toBe(true);
      expect(sent).toContain(route.plain === "invoke" ? pngPixel : "png");
    });

    test("URL images are fetched and sent as bytes; a bad URL is the client's 400", async () => {
      const withImage = (url: string) =>
        client.messages.create({
          model: route.model,
          max_tokens: 100,
          messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url } }, { type: "text", text: "what is this?" }] }],
        });
      await withImage(`${images.url}pixel.png`);
      const sent = JSON.stringify(await lastRequest(route.plain));
      expect(sent).toContain(pngPixel.slice(0, 40));
      expect(sent).not.toContain("pixel.png");
      for (const path of ["huge.png", "page.html", "gone.png", "slow.png"]) {
        const error = await withImage(`${images.url}${path}`).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Anthropic.BadRequestError);
        expect(String(error)).toContain(`Could not fetch the image at ${images.url}${path}`);
      }
    });

    test("cache usage is reported, streamed and not", async () => {
      const usage = { inputTokens: 20, outputTokens: 5, cacheReadInputTokens: 1000, cacheWriteInputTokens: 300 };
      const request = {
        model: route.model,
        max_tokens: 100,
        system: [{ type: "text" as const, text: "long system prompt", cache_control: { type: "ephemeral" as const } }],
        messages: [{ role: "user" as const, content: "hi" }],
      };
      await stack.script({ content: [{ text: "a" }], usage }, { content: [{ text: "b" }], usage });
      const plain = await client.messages.create(request);
      const streamed = await client.messages.stream(request).finalMessage();
      for (const message of [plain, streamed]) {
        expect(message.usage).toMatchObject({ input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 300 });
      }
    });

    test("stop sequences", async () => {
      await stack.script({ content: [{ text: "up to here" }], stopReason: "stop_sequence" });
      const message = await client.messages.create({ model: route.model, max_tokens: 100, stop_sequences: ["END"], messages: [{ role: "user", content: "go" }] });
      expect(message.stop_reason).toBe("stop_sequence");
      expect(message.stop_sequence).toBe("END");
      expect(JSON.stringify(await lastRequest(route.plain))).toContain("END");
    });

    for (const choice of [{ type: "auto" }, { type: "any" }, { type: "tool", name: "lookup" }, { type: "none" }] as const) {
      test(`tool_choice ${choice.type}`, async () => {
        const message = await client.messages.create({
          model: route.model,
          max_tokens: 100,
          tools: [{ name: "lookup", input_schema: { type: "object" } }],
          tool_choice: choice,
          messages: [{ role: "user", content: "find it" }],
        });
        expect(message.type).toBe("message");
        const body = (await lastRequest(route.plain)) as Record<string, unknown>;
        if (route.plain === "invoke") expect(body.tool_choice).toEqual(choice);
        else if (choice.type === "none") {
          // Converse has no "none": no toolConfig goes, so no tool can be called.
          expect(body.toolConfig).toBeUndefined();
        } else {
          const toolConfig = body.toolConfig as { tools: unknown[]; toolChoice?: unknown };
          expect(toolConfig.tools).toHaveLength(1);
          expect(toolConfig.toolChoice).toEqual({ auto: { auto: {} }, any: { any: {} }, tool: { tool: { name: "lookup" } } }[choice.type]);
        }
      });
    }

    test("count_tokens answers for the model", async () => {
      const counted = await client.messages.countTokens({ model: route.model, messages: [{ role: "user", content: "how many tokens is this?" }] });
      expect(counted.input_tokens).toBeGreaterThan(0);
    });

    test("count_tokens counts the prompt /messages sends (system messages folded, turns merged, same betas)", async () => {
      const headers = { "content-type": "application/json", "anthropic-beta": "token-efficient-tools-2025-02-19" };
      const conversation = {
        model: route.model,
        system: "Answer briefly.",
        tools: [{ name: "lookup", description: "Looks a word up", input_schema: { type: "object", properties: { word: { type: "string" } } } }],
        messages: [
          { role: "user", content: "first part" },
          { role: "user", content: [{ type: "text", text: "second part" }] },
          { role: "assistant", content: "noted" },
          { role: "user", content: "go on" },
          { role: "system", content: "The user prefers metric units." },
        ],
      };
      const post = (path: string, body: object) => fetch(`${stack.proxyUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      const tokens = (await (await post("/v1/messages/count_tokens", conversation)).json()) as { input_tokens: number };
      const streamed = await (await post("/v1/messages", { ...conversation, max_tokens: 100, stream: true })).text();
      const start = streamed.split("\n").find((line) => line.startsWith("data:") && line.includes('"message_start"'));
      const started = JSON.parse(start?.slice(5) ?? "{}") as { message: { usage: { input_tokens: number } } };
      // message_start reports the input of the prompt sent: the emulator's count of the InvokeModel body,
      // the proxy's estimate of the prepared request on Converse (its real count comes only at the end).
      expect(tokens.input_tokens).toBe(started.message.usage.input_tokens);
      if (route.plain === "invoke") {
        // CountTokens carries the whole InvokeModel body (base64): all of it but max_tokens is what /messages sent.
        const [count, sent] = await stack.requests();
        const counted = count?.body as { input: { invokeModel: { body: string } } };
        const countBody = JSON.parse(Buffer.from(counted.input.invokeModel.body, "base64").toString("utf8")) as Record<string, unknown>;
        expect(sent?.operation).toBe(route.stream);
        expect({ ...countBody, max_tokens: 0 }).toEqual({ ...sent?.body, max_tokens: 0 });
      }
    });

    test("tool_choice none: the model cannot call a tool", async () => {
      await stack.script({ content: [{ toolUse: { name: "lookup", input: { word: "x" } } }] });
      const message = await client.messages.create({
        model: route.model,
        max_tokens: 100,
        tools: [{ name: "lookup", input_schema: { type: "object" } }],
        tool_choice: { type: "none" },
        messages: [{ role: "user", content: "look x up" }],
      });
      expect(message.content.map((block) => block.type)).toEqual(["text"]);
      expect(message.stop_reason).toBe("end_turn");
    });

    test("tool_choice none with tool calls in the history: the history is kept, no tool can be called", async () => {
      await stack.script({ content: [{ toolUse: { name: "lookup", input: { word: "y" } } }] });
      const message = await client.messages.create({
        model: route.model,
        max_tokens: 100,
        tools: [{ name: "lookup", input_schema: { type: "object" } }],
        tool_choice: { type: "none" },
        messages: [
          { role: "user", content: "look x up" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_01", name: "lookup", input: { word: "x" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "x: a letter" }, { type: "text", text: "and now y, without tools" }] },
        ],
      });
      expect(message.content.map((block) => block.type)).toEqual(["text"]);
      const sent = JSON.stringify(await lastRequest(route.plain));
      expect(sent).toContain("x: a letter");
      if (route.plain === "converse") {
        // No toolConfig, so nothing can be called; Bedrock then takes no tool blocks, so the history says it in words.
        expect(sent).not.toContain("toolConfig");
        expect(sent).not.toContain("toolUse");
        expect(sent).toContain('{\\"word\\":\\"x\\"}');
      }
    });

    test("an exception in the middle of a stream becomes an SSE error event", async () => {
      await stack.script({ content: [{ text: "partial answer that will break" }], chunkChars: 4, streamError: { afterEvents: 3, type: "modelStreamErrorException", message: "model broke" } });
      const stream = client.messages.stream({ model: route.model, max_tokens: 100, messages: [{ role: "user", content: "x" }] });
      const error = await stream.finalMessage().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(String(error)).toContain("model broke");
      expect((error as { error?: { error?: { type?: string } } }).error?.error?.type).toBe("api_error");
    });
  });
}

describe("the Claude Code request shapes", () => {
  test("a mid-conversation system message, adaptive thinking and Claude Code's betas are made fit for Bedrock", async () => {
    const response = await fetch(`${stack.proxyUrl}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,mid-conversation-system-2026-04-07,effort-2025-11-24",
      },
      body: JSON.stringify({
        model: "claude-opus-4-8",
        max_tokens: 640000,
        thinking: { type: "adaptive" },
        output_config: { effort: "high" },
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
        metadata: { user_id: '{"device_id":"d"}' },
        messages: [
          { role: "user", content: "say ping" },
          { role: "system", content: "Available agent types: claude" },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const sent = (await stack.requests()).at(-1);
    expect(sent?.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "say ping" }, { type: "text", text: "<system>\nAvailable agent types: claude\n</system>" }] }]);
    expect(sent?.body.max_tokens).toBe(128000);
    expect(sent?.body.metadata).toBeUndefined();
  });

  const claudeCode332 = {
    "anthropic-beta":
      "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24",
  };
  const placeholder = { name: "DeferredToolPlaceholder", description: "never call this tool", input_schema: { type: "object", properties: {} }, defer_loading: true };
  const post = (body: Record<string, unknown>) =>
    fetch(`${stack.proxyUrl}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...claudeCode332 },
      body: JSON.stringify({ model: "claude-opus-5-5", max_tokens: 128000, messages: [{ role: "user", content: "say hi" }], ...body }),
    });

  test("Claude Code 2.1.332's shape: claude-opus-5-5, adaptive thinking with display, a deferred tool, its new betas, a trailing system message", async () => {
    const response = await post({
      thinking: { type: "adaptive", display: "omitted" },
      output_config: { effort: "medium" },
      tools: [{ name: "Bash", input_schema: { type: "object" } }, placeholder],
      messages: [
        { role: "user", content: "say hi" },
        { role: "system", content: "# Environment" },
      ],
    });
    expect(response.status).toBe(200);
    const sent = (await stack.requests()).at(-1);
    expect(sent?.modelId).toBe("global.anthropic.claude-opus-4-6-v1");
    expect(sent?.body.thinking).toEqual({ type: "adaptive", display: "omitted" });
    expect(sent?.body.max_tokens).toBe(128000);
    expect((sent?.body.tools as Record<string, unknown>[])[1]).toEqual(placeholder);
    expect(sent?.body.anthropic_beta).toEqual(["interleaved-thinking-2025-05-14", "context-management-2025-06-27", "tool-examples-2025-10-29", "tool-search-tool-2025-10-19", "effort-2025-11-24"]);
    expect(sent?.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "say hi" }, { type: "text", text: "<system>\n# Environment\n</system>" }] }]);
  });

  test("a `display` or `defer_loading` that is not Anthropic's is the client's 400 naming the field", async () => {
    for (const [body, field] of [
      [{ thinking: { type: "adaptive", display: "loud" } }, "thinking.display"],
      [{ tools: [{ ...placeholder, defer_loading: "yes" }] }, "tools.0.defer_loading"],
    ] as const) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const error = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(error.error.type).toBe("invalid_request_error");
      expect(error.error.message).toContain(field);
    }
  });
});
