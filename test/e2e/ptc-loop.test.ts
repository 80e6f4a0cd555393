import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { betaTool } from "@anthropic-ai/sdk/helpers/beta/json-schema";
import type { BetaContentBlockParam, BetaMessage, BetaMessageParam, BetaToolUnion } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../src/gateway/store.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import type { UsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { createStore } from "../../src/store/create-store.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { type Stack, startStack } from "../support/stack.ts";

/**
 * The PTC loop's core path end to end (docs/ptc.md, "The loop"): the official SDK's beta API → the
 * proxy → the emulator scripted to call the code tool → a real sandbox service on bwrap. Code without
 * tools, and one client tool call paused and resumed, on both upstream paths, streamed and not.
 * test/e2e/ptc-conversations.test.ts holds the broad suite.
 */

const routes = [
  { name: "Claude (InvokeModel)", model: "claude-sonnet-4-6" },
  { name: "Converse (Qwen3 Coder)", model: "qwen.qwen3-coder-480b-a35b-v1:0" },
] as const;

const codeTool = { type: "code_execution_20250825", name: "code_execution" } as const satisfies BetaToolUnion;
const weatherTool = {
  name: "get_weather",
  description: "The weather in a city.",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  allowed_callers: ["code_execution_20250825"],
} as const satisfies BetaToolUnion;

let sandbox: SandboxUnderTest;
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  // Every test takes containers of its own (the same owner): room for all of them, a small /work each.
  sandbox = await startSandboxService("bwrap", 212_000, { SANDBOX_MAX_SESSIONS: "90", SANDBOX_MAX_SESSIONS_PER_OWNER: "90", SANDBOX_WORK_DIR_MB: "2" });
  stack = await startStack({ ...sandbox.proxyEnv, PTC_MAX_CONTAINERS_PER_KEY: "90", STREAM_PING_INTERVAL_MS: "200" });
  client = stack.client();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await sandbox?.stop();
});
beforeEach(() => stack.reset());

async function ask(params: { model: string; messages: BetaMessageParam[]; container?: string }, stream: boolean): Promise<BetaMessage> {
  const request = { max_tokens: 500, betas: ["advanced-tool-use-2025-11-20"], tools: [codeTool, weatherTool], ...params };
  if (!stream) return client.beta.messages.create({ ...request, stream: false });
  return client.beta.messages.stream(request).finalMessage();
}

const codeTurn = (code: string, text: string) => ({ content: [{ text }, { toolUse: { name: "code_execution", input: { code } } }], usage: { inputTokens: 100, outputTokens: 20 } });
const textTurn = (text: string) => ({ content: [{ text }], usage: { inputTokens: 150, outputTokens: 7 } });

for (const route of routes) {
  for (const stream of [false, true]) {
    describe(`${route.name}, ${stream ? "streamed" : "not streamed"}`, () => {
      test("code without tools: the model runs code, reads its output, answers; usage summed", async () => {
        await stack.script(codeTurn("print(6 * 7)", "Computing."), textTurn("It is 42."));
        const message = await ask({ model: route.model, messages: [{ role: "user", content: "six times seven?" }] }, stream);

        const [said, call, result, answer] = message.content;
        expect(said).toMatchObject({ type: "text", text: "Computing." });
        expect(call).toMatchObject({ type: "server_tool_use", name: "code_execution", input: { code: "print(6 * 7)" } });
        const id = call?.type === "server_tool_use" ? call.id : "";
        expect(id).toMatch(/^srvtoolu_/);
        expect(result).toEqual({ type: "code_execution_tool_result", tool_use_id: id, content: { type: "code_execution_result", stdout: "42\n", stderr: "", return_code: 0, content: [] } });
        expect(answer).toMatchObject({ type: "text", text: "It is 42." });
        expect(message.content).toHaveLength(4);
        expect(message.stop_reason).toBe("end_turn");
        expect(message.usage).toMatchObject({ input_tokens: 250, output_tokens: 27 });
        expect(message.container?.id).toMatch(/^container_/);
        expect(Date.parse(message.container?.expires_at ?? "")).toBeGreaterThan(Date.now());

        // The model's second call saw its code call and the code's output as the tool's result.
        const calls = (await stack.requests()).filter((r) => r.operation !== "count-tokens");
        expect(calls).toHaveLength(2);
        const seen = JSON.stringify(calls[1]?.body);
        expect(seen).toContain(id);
        expect(seen).toContain("42\\n");
        expect(seen).not.toMatch(/"(allowed_callers|caller|container)":|server_tool_use|code_execution_tool_result/);
      }, 30_000);

      test("one client tool call: the answer pauses at it, the resumed request runs the code on", async () => {
        const code = 'w = await get_weather(city="Oslo")\nprint("weather:", w)';
        await stack.script(codeTurn(code, "Asking."));
        const messages: BetaMessageParam[] = [{ role: "user", content: "weather in Oslo?" }];
        const paused = await ask({ model: route.model, messages }, stream);

        expect(paused.stop_reason).toBe("tool_use");
        const [, call, toolUse] = paused.content;
        const srv = call?.type === "server_tool_use" ? call.id : "";
        expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Oslo" }, caller: { type: "code_execution_20250825", tool_id: srv } });
        expect(paused.content).toHaveLength(3);
        const container = paused.container?.id ?? "";
        expect(container).toMatch(/^container_/);
        expect((await stack.requests()).filter((r) => r.operation !== "count-tokens")).toHaveLength(1);

        await stack.script(textTurn("Mild in Oslo."));
        const toolUseId = toolUse?.type === "tool_use" ? toolUse.id : "";
        const resumed = await ask(
          {
            model: route.model,
            container,
            messages: [
              ...messages,
              { role: "assistant", content: paused.content as BetaContentBlockParam[] },
              { role: "user", content: [{ type: "tool_result", tool_use_id: toolUseId, content: "12 C, rain" }] },
            ],
          },
          stream,
        );
        expect(resumed.content).toEqual([
          { type: "code_execution_tool_result", tool_use_id: srv, content: { type: "code_execution_result", stdout: "weather: 12 C, rain\n", stderr: "", return_code: 0, content: [] } },
          expect.objectContaining({ type: "text", text: "Mild in Oslo." }),
        ]);
        expect(resumed.stop_reason).toBe("end_turn");
        expect(resumed.container?.id).toBe(container);

        // The code's own call and its result are not in the model's view: only what the code printed.
        const last = (await stack.requests()).filter((r) => r.operation !== "count-tokens").at(-1);
        const seen = JSON.stringify(last?.body);
        expect(seen).toContain("weather: 12 C, rain");
        expect(seen).not.toContain(toolUseId);
      }, 30_000);
    });
  }
}

const clockTool = {
  name: "get_time",
  description: "The time in a city.",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
} as const satisfies BetaToolUnion;

for (const route of routes) {
  describe(`${route.name}: turns with several calls`, () => {
    const toolsAsk = (messages: BetaMessageParam[], container?: string) =>
      client.beta.messages.create({ model: route.model, max_tokens: 500, tools: [codeTool, weatherTool, clockTool], messages, ...(container ? { container } : {}) });
    const code = (source: string) => ({ toolUse: { name: "code_execution", input: { code: source } } });

    test("two code calls in one turn: the first pauses, the second runs once the first is resumed", async () => {
      await stack.script({ content: [code('print(await get_weather(city="A"))'), code('print("second")')] }, textTurn("Both ran."));
      const messages: BetaMessageParam[] = [{ role: "user", content: "two" }];
      const paused = await toolsAsk(messages);
      expect(paused.content.map((b) => b.type)).toEqual(["server_tool_use", "server_tool_use", "tool_use"]);
      const [first, second, call] = paused.content;
      expect(call).toMatchObject({ caller: { tool_id: first?.type === "server_tool_use" ? first.id : "" } });
      const resumed = await toolsAsk([
        ...messages,
        { role: "assistant", content: paused.content as BetaContentBlockParam[] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call?.type === "tool_use" ? call.id : "", content: "sunny" }] },
      ]);
      expect(resumed.content.map((b) => (b.type === "code_execution_tool_result" ? [b.tool_use_id, b.content] : b.type))).toEqual([
        [first?.type === "server_tool_use" ? first.id : "", { type: "code_execution_result", stdout: "sunny\n", stderr: "", return_code: 0, content: [] }],
        [second?.type === "server_tool_use" ? second.id : "", { type: "code_execution_result", stdout: "second\n", stderr: "", return_code: 0, content: [] }],
        "text",
      ]);
      expect(resumed.stop_reason).toBe("end_turn");
    }, 30_000);

    test("a paused turn that also called a tool directly: resumed with both results the model goes on, with the code's only it stops at tool_use", async () => {
      for (const withDirect of [true, false]) {
        await stack.script({ content: [code('print(await get_weather(city="Kyiv"))'), { toolUse: { name: "get_time", input: { city: "Kyiv" } } }] }, textTurn("Both known."));
        const messages: BetaMessageParam[] = [{ role: "user", content: "weather and time?" }];
        const paused = await toolsAsk(messages);
        expect(paused.content.map((b) => (b.type === "tool_use" ? b.caller?.type : b.type))).toEqual(["server_tool_use", "direct", "code_execution_20250825"]);
        const [, direct, fromCode] = paused.content;
        const results = [
          { type: "tool_result" as const, tool_use_id: fromCode?.type === "tool_use" ? fromCode.id : "", content: "mild" },
          ...(withDirect ? [{ type: "tool_result" as const, tool_use_id: direct?.type === "tool_use" ? direct.id : "", content: "09:00" }] : []),
        ];
        const resumed = await toolsAsk([...messages, { role: "assistant", content: paused.content as BetaContentBlockParam[] }, { role: "user", content: results }], paused.container?.id);
        expect(resumed.content.map((b) => b.type)).toEqual(withDirect ? ["code_execution_tool_result", "text"] : ["code_execution_tool_result"]);
        expect(resumed.stop_reason).toBe(withDirect ? "end_turn" : "tool_use");
        await stack.reset();
      }
    }, 30_000);

    test("a turn with code and a direct call: the code runs, the answer stops at the direct call, its result goes to the model", async () => {
      await stack.script({ content: [code('print("ran")'), { toolUse: { name: "get_time", input: { city: "Rome" } } }] }, textTurn("Noon, and it ran."));
      const messages: BetaMessageParam[] = [{ role: "user", content: "both" }];
      const first = await toolsAsk(messages);
      expect(first.content.map((b) => b.type)).toEqual(["server_tool_use", "tool_use", "code_execution_tool_result"]);
      expect(first.content[1]).toMatchObject({ name: "get_time", caller: { type: "direct" } });
      expect(first.stop_reason).toBe("tool_use");
      const direct = first.content[1];
      const next = await toolsAsk(
        [...messages, { role: "assistant", content: first.content as BetaContentBlockParam[] }, { role: "user", content: [{ type: "tool_result", tool_use_id: direct?.type === "tool_use" ? direct.id : "", content: "12:00" }] }],
        first.container?.id,
      );
      expect(next.content).toEqual([expect.objectContaining({ type: "text", text: "Noon, and it ran." })]);
      const seen = JSON.stringify((await stack.requests()).filter((r) => r.operation !== "count-tokens").at(-1)?.body);
      expect(seen).toContain("12:00");
      expect(seen).toContain("ran\\n");
    }, 30_000);
  });
}

describe("the SDK's toolRunner with its default message thread", () => {
  test("a continued thread is refused with thread_not_found, the SDK replays the whole conversation, the PTC conversation ends", async () => {
    await stack.script(codeTurn('print(await get_weather(city="Quito"))', "Asking."), textTurn("Quito is fine."));
    const weather = betaTool({
      name: weatherTool.name,
      description: weatherTool.description,
      inputSchema: weatherTool.input_schema,
      allowed_callers: ["code_execution_20250825"],
      run: ({ city }) => `${city}: 14 C`,
    });
    const runner = client.beta.messages.toolRunner({ model: routes[0].model, max_tokens: 500, tools: [codeTool, weather], messages: [{ role: "user", content: "Quito?" }] });
    const answers: BetaMessage[] = [];
    for await (const answer of runner) answers.push(answer);
    expect(answers.map((a) => a.stop_reason)).toEqual(["tool_use", "end_turn"]);
    expect(answers[1]?.content[0]).toMatchObject({ type: "code_execution_tool_result", content: { stdout: "Quito: 14 C\n" } });
  }, 30_000);

  test("the refusal carries the SDK's error_code in error.details", async () => {
    const response = await fetch(`${stack.proxyUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: routes[0].model, max_tokens: 10, thread: { type: "continue", previous_message_id: "msg_x" }, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ type: "not_found_error", details: { error_code: "thread_not_found" } });
  });
});

describe("streaming while code runs and after the client leaves", () => {
  const post = (body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${stack.proxyUrl}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: routes[0].model, max_tokens: 500, stream: true, tools: [codeTool, weatherTool], ...body }),
      ...(signal ? { signal } : {}),
    });

  test("pings keep the stream alive while the code runs", async () => {
    await stack.script(codeTurn("import time\ntime.sleep(1)\nprint('slept')", "Sleeping."), textTurn("Done."));
    const text = await (await post({ messages: [{ role: "user", content: "sleep" }] })).text();
    // Between the code's call and its result: the second of silence the code took, in pings.
    const running = text.slice(text.indexOf('"server_tool_use"'), text.indexOf('"code_execution_tool_result"'));
    expect(running.match(/^event: ping$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(text).toContain("slept\\n");
  }, 30_000);

  test("a streamed resume begins at once: pings while the resumed code runs", async () => {
    const code = 'r = await get_weather(city="Lyon")\nimport time\ntime.sleep(1)\nprint(r)';
    await stack.script(codeTurn(code, "Asking."), textTurn("Lyon noted."));
    const messages: BetaMessageParam[] = [{ role: "user", content: "Lyon?" }];
    const paused = await ask({ model: routes[0].model, messages }, false);
    const call = paused.content.find((b) => b.type === "tool_use");
    const resumed = {
      container: paused.container?.id,
      messages: [...messages, { role: "assistant", content: paused.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: call?.type === "tool_use" ? call.id : "", content: "rain" }] }],
    };
    const text = await (await post(resumed)).text();
    const running = text.slice(text.indexOf("event: message_start"), text.indexOf('"code_execution_tool_result"'));
    expect(running.match(/^event: ping$/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(text).toContain("rain\\n");
  }, 30_000);

  test("a client that leaves as soon as it sees the code's tool call can still resume", async () => {
    await stack.script(codeTurn('print(await get_weather(city="Baku"))', "Asking."), textTurn("Windy."));
    const messages = [{ role: "user", content: "Baku?" }];
    const leaving = new AbortController();
    const response = await post({ messages }, leaving.signal);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes('"caller":{"type":"code_execution_20250825"')) seen += new TextDecoder().decode((await reader.read()).value);
    leaving.abort();
    const toolUse = /"type":"tool_use","id":"(toolu_[^"]+)"/.exec(seen)?.[1] ?? "";
    const code = /"type":"server_tool_use","id":"(srvtoolu_[^"]+)"/.exec(seen)?.[1] ?? "";
    const assistant = [
      { type: "server_tool_use", id: code, name: "code_execution", input: { code: 'print(await get_weather(city="Baku"))' } },
      { type: "tool_use", id: toolUse, name: "get_weather", input: { city: "Baku" }, caller: { type: "code_execution_20250825", tool_id: code } },
    ];
    const resumed = await ask({ model: routes[0].model, messages: [...(messages as BetaMessageParam[]), { role: "assistant", content: assistant as BetaContentBlockParam[] }, { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse, content: "windy" }] }] }, false);
    expect(resumed.content[0]).toMatchObject({ type: "code_execution_tool_result", tool_use_id: code, content: { stdout: "windy\n" } });
  }, 30_000);
});

describe("what the model is shown", () => {
  test("the code tool as an ordinary tool with the stubs of the tools code may call; code-only tools not offered", async () => {
    await stack.script(textTurn("Nothing to run."));
    await ask({ model: routes[0].model, messages: [{ role: "user", content: "hi" }] }, false);
    const [call] = (await stack.requests()).filter((r) => r.operation !== "count-tokens");
    const tools = (call?.body as { tools: { name: string; description: string; input_schema: unknown }[] }).tools;
    expect(tools.map((t) => t.name)).toEqual(["code_execution"]);
    expect(tools[0]?.description).toContain("async def get_weather(");
    expect(tools[0]?.input_schema).toMatchObject({ properties: { code: { type: "string" } }, required: ["code"] });
  });

  test("count_tokens counts the model's view", async () => {
    const counted = await client.beta.messages.countTokens({ model: routes[0].model, betas: ["advanced-tool-use-2025-11-20"], tools: [codeTool, weatherTool], messages: [{ role: "user", content: "hi" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const [count] = (await stack.requests()).filter((r) => r.operation === "count-tokens");
    const body = JSON.parse(Buffer.from((count?.body as { input: { invokeModel: { body: string } } }).input.invokeModel.body, "base64").toString()) as { tools: { name: string; description: string }[] };
    expect(body.tools.map((t) => t.name)).toEqual(["code_execution"]);
    expect(body.tools[0]?.description).toContain("async def get_weather(");
  });
});

describe("resume", () => {
  const model = routes[0].model;

  test("without `container` (the SDK's toolRunner sends none) the paused container is found from the calls' ids", async () => {
    await stack.script(codeTurn('print(await get_weather(city="Lima"))', "Asking."), textTurn("Warm."));
    const messages: BetaMessageParam[] = [{ role: "user", content: "weather in Lima?" }];
    const paused = await ask({ model, messages }, false);
    const waiting = paused.content.find((b) => b.type === "tool_use");
    const resumed = await ask(
      {
        model,
        messages: [...messages, { role: "assistant", content: paused.content as BetaContentBlockParam[] }, { role: "user", content: [{ type: "tool_result", tool_use_id: waiting?.type === "tool_use" ? waiting.id : "", content: "25 C" }] }],
      },
      false,
    );
    expect(resumed.content[0]).toMatchObject({ type: "code_execution_tool_result", content: { stdout: "25 C\n" } });
    expect(resumed.container?.id).toBe(paused.container?.id ?? "");
  }, 30_000);

  test("results sent again to a container already resumed are a 400 saying so", async () => {
    await stack.script(codeTurn('print(await get_weather(city="Riga"))', "Asking."), textTurn("Cold."));
    const messages: BetaMessageParam[] = [{ role: "user", content: "Riga?" }];
    const paused = await ask({ model, messages }, false);
    const waiting = paused.content.find((b) => b.type === "tool_use");
    const again: BetaMessageParam[] = [
      ...messages,
      { role: "assistant", content: paused.content as BetaContentBlockParam[] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: waiting?.type === "tool_use" ? waiting.id : "", content: "-5 C" }] },
    ];
    await ask({ model, messages: again }, false);
    const error = await ask({ model, messages: again }, false).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, error: { error: { type: "invalid_request_error", message: expect.stringContaining("resumed already") } } });
  }, 30_000);

  test("an unknown container is a 404 not_found_error", async () => {
    const error = await ask({ model, container: "container_nope", messages: [{ role: "user", content: "hi" }] }, false).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, error: { error: { type: "not_found_error" } } });
  });

  test("results for other ids than the paused ones are a 400 naming them", async () => {
    await stack.script(codeTurn('print(await get_weather(city="Rome"))', "Asking."));
    const messages: BetaMessageParam[] = [{ role: "user", content: "weather in Rome?" }];
    const paused = await ask({ model, messages }, false);
    const waiting = paused.content.find((b) => b.type === "tool_use");
    const error = await ask(
      {
        model,
        container: paused.container?.id ?? "",
        messages: [...messages, { role: "assistant", content: paused.content as BetaContentBlockParam[] }, { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_other", content: "x" }] }],
      },
      false,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, error: { error: { type: "invalid_request_error" } } });
    const message = (error as { error: { error: { message: string } } }).error.error.message;
    expect(message).toContain("toolu_other");
    expect(message).toContain(waiting?.type === "tool_use" ? waiting.id : "?");
  }, 30_000);
});

describe("with keys: containers bound to their key, the cap, the model-call bound, usage recorded as the sum", () => {
  let keyed: Stack;
  let store: Store;
  let keys: KeyService;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "abp-ptc-loop-")), "proxy.db");
    keyed = await startStack({ ...sandbox.proxyEnv, SQLITE_PATH: path, AUTH_MODE: "keys", KEY_CACHE_TTL_MS: "0", PTC_MAX_MODEL_CALLS: "3", PTC_MAX_CONTAINERS_PER_KEY: "1" });
    store = await createStore({ kind: "sqlite", path });
    keys = new KeyService(store);
  });
  afterAll(async () => {
    await store?.close();
    await keyed?.stop();
  });
  beforeEach(() => keyed.reset());

  const keyedAsk = (secret: string, params: { messages: BetaMessageParam[]; container?: string }) =>
    keyed.client({ apiKey: secret }).beta.messages.create({ model: routes[0].model, max_tokens: 500, betas: ["advanced-tool-use-2025-11-20"], tools: [codeTool, weatherTool], ...params });

  async function usageOf(keyId: string): Promise<UsageRecord> {
    for (let i = 0; i < 100; i++) {
      const [record] = await store.latestUsage(keyId, 1);
      if (record) return record;
      await Bun.sleep(20);
    }
    throw new Error(`no usage record for ${keyId}`);
  }

  test("the usage record holds the sum over every model call of the loop", async () => {
    const key = await keys.create({ name: "sum" }, { via: "cli" });
    await keyed.script(codeTurn("print(1)", "One."), textTurn("Done."));
    const message = await keyedAsk(key.secret, { messages: [{ role: "user", content: "go" }] });
    expect(message.usage).toMatchObject({ input_tokens: 250, output_tokens: 27 });
    expect(await usageOf(key.key.id)).toMatchObject({ input_tokens: 250, output_tokens: 27, status: 200 });
  }, 30_000);

  test("another key's container is a 404, as an unknown one", async () => {
    const [owner, other] = [await keys.create({ name: "owner" }, { via: "cli" }), await keys.create({ name: "other" }, { via: "cli" })];
    await keyed.script(codeTurn('print(await get_weather(city="Bern"))', "Asking."));
    const messages: BetaMessageParam[] = [{ role: "user", content: "weather?" }];
    const paused = await keyedAsk(owner.secret, { messages });
    const toolUse = paused.content.find((b) => b.type === "tool_use");
    const resume = [...messages, { role: "assistant" as const, content: paused.content as BetaContentBlockParam[] }, { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: toolUse?.type === "tool_use" ? toolUse.id : "", content: "sunny" }] }];
    const error = await keyedAsk(other.secret, { messages: resume, container: paused.container?.id ?? "" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, error: { error: { type: "not_found_error" } } });
  }, 30_000);

  test("past PTC_MAX_CONTAINERS_PER_KEY the code tool answers too_many_requests, and the model is told", async () => {
    const key = await keys.create({ name: "cap" }, { via: "cli" });
    await keyed.script(codeTurn("print(1)", "One."), textTurn("First."), codeTurn("print(2)", "Two."), textTurn("Second."));
    await keyedAsk(key.secret, { messages: [{ role: "user", content: "first" }] });
    const second = await keyedAsk(key.secret, { messages: [{ role: "user", content: "second" }] });
    expect(second.content[2]).toMatchObject({ type: "code_execution_tool_result", content: { type: "code_execution_tool_result_error", error_code: "too_many_requests" } });
    expect(second.container).toBeNull();
    const last = (await keyed.requests()).filter((r) => r.operation !== "count-tokens").at(-1);
    expect(JSON.stringify(last?.body)).toContain("too_many_requests");
  }, 30_000);

  test("at PTC_MAX_MODEL_CALLS the answer ends with pause_turn", async () => {
    const key = await keys.create({ name: "bound" }, { via: "cli" });
    await keyed.script(codeTurn("print(1)", "a"), codeTurn("print(2)", "b"), codeTurn("print(3)", "c"), textTurn("never"));
    const message = await keyedAsk(key.secret, { messages: [{ role: "user", content: "loop" }] });
    expect(message.stop_reason).toBe("pause_turn");
    expect(message.content.filter((b) => b.type === "code_execution_tool_result")).toHaveLength(3);
    expect((await keyed.requests()).filter((r) => r.operation !== "count-tokens")).toHaveLength(3);
  }, 30_000);
});

describe("a sandbox service that is down", () => {
  test("is an `unavailable` code result the model reads, not a failed request", async () => {
    const dead = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `http://127.0.0.1:${dead.port}`;
    dead.stop(true);
    const down = await startStack({ SANDBOX_URL: url, SANDBOX_TOKEN: "t" });
    try {
      await down.script(codeTurn("print(1)", "Trying."), textTurn("No sandbox today."));
      const message = await down.client().beta.messages.create({ model: routes[0].model, max_tokens: 500, tools: [codeTool], messages: [{ role: "user", content: "run" }] });
      expect(message.content[2]).toMatchObject({ type: "code_execution_tool_result", content: { type: "code_execution_tool_result_error", error_code: "unavailable" } });
      expect(message.content[3]).toMatchObject({ type: "text", text: "No sandbox today." });
      expect(message.stop_reason).toBe("end_turn");
    } finally {
      await down.stop();
    }
  }, 30_000);
});
