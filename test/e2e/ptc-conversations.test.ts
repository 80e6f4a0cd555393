import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { betaTool } from "@anthropic-ai/sdk/helpers/beta/json-schema";
import { ToolError } from "@anthropic-ai/sdk/lib/tools/ToolError";
import type { BetaMessage, BetaMessageParam } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import {
  ask,
  blocks,
  calledFromCode,
  clockTool,
  codeResult,
  codeTool,
  codeTurn,
  echo,
  expectContainer,
  type ModelBlock,
  modelCalls,
  modelHistory,
  modelTools,
  ptcBetas,
  ptcRequest,
  ptcRoutes,
  resumeWith,
  serverToolUse,
  serverToolUseId,
  text,
  textTurn,
  toolUses,
  weatherTool,
} from "../support/ptc.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import { type RecordedRequest, type Stack, startStack } from "../support/stack.ts";

/**
 * Programmatic Tool Calling end to end (issue 10 point 11): the official SDK's beta API → the proxy →
 * the emulator scripted to call the code tool, the code run by a real sandbox service on bwrap. Every
 * conversation runs on both upstream paths, streamed and not; each checks the answer's blocks against
 * the SDK's beta types and, from the emulator's log, what the model was shown (docs/ptc.md).
 */

let sandbox: SandboxUnderTest;
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  // Each conversation takes a container of its own: room for all of them, small /work for each.
  sandbox = await startSandboxService("bwrap", 211_000, {
    SANDBOX_POOL_SIZE: "2",
    SANDBOX_MAX_SESSIONS: "90",
    SANDBOX_MAX_SESSIONS_PER_OWNER: "90",
    SANDBOX_WORK_DIR_MB: "4",
    SANDBOX_IDLE_TIMEOUT_S: "60",
  });
  stack = await startStack({ ...sandbox.proxyEnv, PTC_MAX_CONTAINERS_PER_KEY: "90" });
  client = stack.client();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await sandbox?.stop();
});
beforeEach(() => stack.reset());

/** The model's requests of this test, expected to be `count`. */
async function modelRequests(count: number): Promise<RecordedRequest[]> {
  const calls = modelCalls(await stack.requests());
  expect(calls.length).toBe(count);
  return calls;
}

/** Nothing Bedrock would refuse reached it: no PTC field, no server-tool block. */
function expectNothingPtcUpstream(calls: RecordedRequest[]): void {
  const bodies = JSON.stringify(calls.map((call) => call.body));
  expect(bodies).not.toMatch(/"(allowed_callers|caller|container)":/);
  expect(bodies).not.toMatch(/"type":"(server_tool_use|code_execution_tool_result|code_execution_20250825)"/);
}

const paris = 'print(await get_weather(city="Paris"))';

for (const route of ptcRoutes) {
  for (const stream of [false, true]) {
    describe(`${route.name}, ${stream ? "streamed" : "not streamed"}`, () => {
      const user = (content: string): BetaMessageParam[] => [{ role: "user", content }];

      test("code without tools: it runs, the model reads its output, the usage is summed over both model calls", async () => {
        await stack.script(codeTurn("print(6 * 7)", { text: "Let me compute.", usage: { inputTokens: 100, outputTokens: 10 } }), textTurn("It is 42.", { inputTokens: 200, outputTokens: 20 }));
        const message = await ask(client, ptcRequest(route.model, user("What is 6 times 7?"), { tools: [codeTool] }), stream);
        const id = serverToolUseId(message);
        expect(blocks(message)).toEqual([text("Let me compute."), serverToolUse("print(6 * 7)"), codeResult(id, "42\n"), text("It is 42.")]);
        expect(message.stop_reason).toBe("end_turn");
        expectContainer(message.container);
        expect(message.usage).toMatchObject({ input_tokens: 300, output_tokens: 30 });

        const calls = await modelRequests(2);
        const [offered] = modelTools(calls[0] as RecordedRequest);
        expect(modelTools(calls[0] as RecordedRequest).map((tool) => tool.name)).toEqual([codeTool.name]);
        expect(offered?.schema).toMatchObject({ type: "object", properties: { code: { type: "string" } }, required: ["code"] });
        expect(Object.keys(offered?.schema ?? {}).sort()).toEqual(["properties", "required", "type"]);
        expect(offered?.description).toContain("print");
        const history = modelHistory(calls[1] as RecordedRequest);
        expect(history).toEqual([
          { role: "user", type: "text", text: "What is 6 times 7?" },
          { role: "assistant", type: "text", text: "Let me compute." },
          { role: "assistant", type: "tool_use", id: expect.any(String), name: codeTool.name, input: { code: "print(6 * 7)" } },
          { role: "user", type: "tool_result", id: history[2]?.id, text: expect.stringContaining("42") },
        ]);
        expectNothingPtcUpstream(calls);
      });

      test("one tool call from code: a pause with a caller'd tool_use and the container, then the resume runs the code to its end", async () => {
        await stack.script(codeTurn(paris, { text: "Checking." }), textTurn("Sunny in Paris."), textTurn("You are welcome."));
        const first = user("Weather in Paris?");
        const paused = await ask(client, ptcRequest(route.model, first), stream);
        const id = serverToolUseId(paused);
        expect(blocks(paused)).toEqual([text("Checking."), serverToolUse(paris), calledFromCode(id, "get_weather", { city: "Paris" })]);
        expect(paused.stop_reason).toBe("tool_use");
        const container = expectContainer(paused.container);

        const second = resumeWith(first, paused, ["Paris: 18C, sunny"]);
        const done = await ask(client, ptcRequest(route.model, second, { container: container.id }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C, sunny\n"), text("Sunny in Paris.")]);
        expect(done.stop_reason).toBe("end_turn");
        expect(expectContainer(done.container).id).toBe(container.id);

        // A later turn sends the whole conversation back: the code's call and result, not the calls it made.
        const third: BetaMessageParam[] = [...second, echo(done), { role: "user", content: "Thanks!" }];
        const thanks = await ask(client, ptcRequest(route.model, third, { container: container.id }), stream);
        expect(blocks(thanks)).toEqual([text("You are welcome.")]);

        const calls = await modelRequests(3);
        const tools = modelTools(calls[0] as RecordedRequest);
        expect(tools.map((tool) => tool.name)).toEqual([codeTool.name]);
        expect(tools[0]?.description).toContain("async def get_weather(");
        expect(tools[0]?.description).toContain(weatherTool.description);
        expect(tools[0]?.description).toContain("asyncio.gather");
        expect(tools[0]?.description).toContain("ToolError");
        const codeCall: ModelBlock = { role: "assistant", type: "tool_use", id, name: codeTool.name, input: { code: paris } };
        const codeOutput: ModelBlock = { role: "user", type: "tool_result", id, text: expect.stringContaining("Paris: 18C, sunny") };
        const beforeResult: ModelBlock[] = [{ role: "user", type: "text", text: "Weather in Paris?" }, { role: "assistant", type: "text", text: "Checking." }, codeCall];
        expect(modelHistory(calls[1] as RecordedRequest)).toEqual([...beforeResult, codeOutput]);
        expect(modelHistory(calls[2] as RecordedRequest)).toEqual([
          ...beforeResult,
          codeOutput,
          { role: "assistant", type: "text", text: "Sunny in Paris." },
          { role: "user", type: "text", text: "Thanks!" },
        ]);
        const codeMade = toolUses(paused)[0]?.id ?? "";
        expect(JSON.stringify(calls.map((call) => call.body))).not.toContain(codeMade);
        expectNothingPtcUpstream(calls);
      });

      test("code_execution_20260120 without the beta header: callers name that version, the container named as {id}", async () => {
        const v2 = { type: "code_execution_20260120", name: "code_execution" } as const;
        const tools = [v2, { ...weatherTool, allowed_callers: [v2.type] }];
        const noBeta = { tools, betas: undefined };
        await stack.script(codeTurn(paris), textTurn("Mild."));
        const first = user("Weather in Paris?");
        const paused = await ask(client, ptcRequest(route.model, first, noBeta), stream);
        const id = serverToolUseId(paused);
        expect(blocks(paused)).toEqual([serverToolUse(paris), { ...calledFromCode(id, "get_weather", { city: "Paris" }), caller: { type: v2.type, tool_id: id } }]);
        const container = { id: expectContainer(paused.container).id };
        const done = await ask(client, ptcRequest(route.model, resumeWith(first, paused, ["Paris: 18C"]), { ...noBeta, container }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C\n"), text("Mild.")]);
      });

      test("three calls in one asyncio.gather: one pause with three tool_use blocks", async () => {
        const code = 'import asyncio\nreports = await asyncio.gather(*(get_weather(city=c) for c in ["Paris", "Oslo", "Rome"]))\nprint(" | ".join(reports))';
        await stack.script(codeTurn(code), textTurn("Three cities."));
        const first = user("Weather in three cities?");
        const paused = await ask(client, ptcRequest(route.model, first), stream);
        const id = serverToolUseId(paused);
        expect(blocks(paused)).toEqual([
          serverToolUse(code),
          calledFromCode(id, "get_weather", { city: "Paris" }),
          calledFromCode(id, "get_weather", { city: "Oslo" }),
          calledFromCode(id, "get_weather", { city: "Rome" }),
        ]);
        expect(paused.stop_reason).toBe("tool_use");
        const container = expectContainer(paused.container);
        const done = await ask(client, ptcRequest(route.model, resumeWith(first, paused, ["Paris: 18C", "Oslo: 2C", "Rome: 21C"]), { container: container.id }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C | Oslo: 2C | Rome: 21C\n"), text("Three cities.")]);
        await modelRequests(2);
      });

      test("two sequential pauses in one code call, then the end", async () => {
        const code = 'a = await get_weather(city="Paris")\nb = await get_weather(city="Oslo")\nprint(a, b, sep="; ")';
        await stack.script(codeTurn(code), textTurn("Both known."));
        const first = user("Paris, then Oslo?");
        const pausedOnce = await ask(client, ptcRequest(route.model, first), stream);
        const id = serverToolUseId(pausedOnce);
        expect(blocks(pausedOnce)).toEqual([serverToolUse(code), calledFromCode(id, "get_weather", { city: "Paris" })]);
        const container = expectContainer(pausedOnce.container);

        const second = resumeWith(first, pausedOnce, ["Paris: 18C"]);
        const pausedTwice = await ask(client, ptcRequest(route.model, second, { container: container.id }), stream);
        expect(blocks(pausedTwice)).toEqual([calledFromCode(id, "get_weather", { city: "Oslo" })]);
        expect(pausedTwice.stop_reason).toBe("tool_use");
        expect(expectContainer(pausedTwice.container).id).toBe(container.id);

        const done = await ask(client, ptcRequest(route.model, resumeWith(second, pausedTwice, ["Oslo: 2C"]), { container: container.id }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "Paris: 18C; Oslo: 2C\n"), text("Both known.")]);
        const calls = await modelRequests(2);
        expect(modelHistory(calls[1] as RecordedRequest).map((block) => block.type)).toEqual(["text", "tool_use", "tool_result"]);
      });

      test("a tool result with is_error raises ToolError inside the code", async () => {
        const code = 'try:\n    print(await get_weather(city="Atlantis"))\nexcept ToolError as error:\n    print("no weather:", error)';
        await stack.script(codeTurn(code), textTurn("No such city."));
        const first = user("Weather in Atlantis?");
        const paused = await ask(client, ptcRequest(route.model, first), stream);
        const id = serverToolUseId(paused);
        const resumed = resumeWith(first, paused, [{ content: "unknown city", is_error: true }]);
        const done = await ask(client, ptcRequest(route.model, resumed, { container: expectContainer(paused.container).id }), stream);
        expect(blocks(done)).toEqual([codeResult(id, "no weather: unknown city\n"), text("No such city.")]);
      });

      test("code that raises: a result with its traceback and return code 1, which the model reads", async () => {
        await stack.script(codeTurn('raise ValueError("boom")'), textTurn("It failed."));
        const message = await ask(client, ptcRequest(route.model, user("Try this.")), stream);
        const id = serverToolUseId(message);
        expect(blocks(message)).toEqual([serverToolUse('raise ValueError("boom")'), codeResult(id, "", { stderr: expect.stringContaining("ValueError: boom"), returnCode: 1 }), text("It failed.")]);
        const calls = await modelRequests(2);
        expect(modelHistory(calls[1] as RecordedRequest).at(-1)).toEqual({ role: "user", type: "tool_result", id: expect.any(String), text: expect.stringContaining("ValueError: boom") });
      });

      test("a tool the model may call directly: tool_use with caller direct, offered to the model and as a stub", async () => {
        await stack.script({ content: [{ toolUse: { name: clockTool.name, input: { city: "Paris" } } }] }, textTurn("It is noon."));
        const first = user("Time in Paris?");
        const tools = [codeTool, weatherTool, clockTool];
        const paused = await ask(client, ptcRequest(route.model, first, { tools }), stream);
        expect(blocks(paused)).toEqual([{ type: "tool_use", id: expect.any(String), name: clockTool.name, input: { city: "Paris" }, caller: { type: "direct" } }]);
        expect(paused.stop_reason).toBe("tool_use");
        const done = await ask(client, ptcRequest(route.model, resumeWith(first, paused, ["12:00"]), { tools }), stream);
        expect(blocks(done)).toEqual([text("It is noon.")]);
        const calls = await modelRequests(2);
        const offered = modelTools(calls[0] as RecordedRequest);
        expect(offered.map((tool) => tool.name).sort()).toEqual([codeTool.name, clockTool.name].sort());
        expect(offered.find((tool) => tool.name === codeTool.name)?.description).toContain("async def get_time(");
        expect(modelHistory(calls[1] as RecordedRequest).filter((block) => block.type !== "text")).toEqual([
          { role: "assistant", type: "tool_use", id: toolUses(paused)[0]?.id, name: clockTool.name, input: { city: "Paris" } },
          { role: "user", type: "tool_result", id: toolUses(paused)[0]?.id, text: "12:00" },
        ]);
        expectNothingPtcUpstream(calls);
      });

      // The runner of this SDK holds the conversation in a server-side thread unless told `thread: false`:
      // both ways must work (the proxy refuses a thread the way the SDK falls back from).
      for (const thread of [undefined, false] as const) {
        test(`the SDK's own toolRunner drives a PTC conversation to its end${thread === false ? " (thread: false)" : ""}`, async () => {
          const code = 'import asyncio\nfor city in ["Paris", "Oslo"]:\n    try:\n        print(await get_weather(city=city))\n    except ToolError as error:\n        print(city, "failed:", error)';
          await stack.script(codeTurn(code), textTurn("Paris is mild; Oslo is unknown."));
          const asked: string[] = [];
          const weather = betaTool({
            name: weatherTool.name,
            description: weatherTool.description,
            inputSchema: weatherTool.input_schema,
            allowed_callers: ["code_execution_20250825"],
            run: ({ city }) => {
              asked.push(city);
              if (city === "Oslo") throw new ToolError("no station in Oslo");
              return `${city}: 18C`;
            },
          });
          const runner = client.beta.messages.toolRunner({ model: route.model, max_tokens: 1000, betas: ptcBetas, tools: [codeTool, weather], messages: user("Weather?"), stream, ...(thread === false ? { thread } : {}) });
          const answers: BetaMessage[] = [];
          for await (const item of runner) answers.push("finalMessage" in item ? await item.finalMessage() : item);
          expect(asked).toEqual(["Paris", "Oslo"]);
          expect(answers.map((answer) => answer.stop_reason)).toEqual(["tool_use", "tool_use", "end_turn"]);
          const id = serverToolUseId(answers[0] as BetaMessage);
          expect(blocks(answers.at(-1) as BetaMessage)).toEqual([codeResult(id, "Paris: 18C\nOslo failed: no station in Oslo\n"), text("Paris is mild; Oslo is unknown.")]);
          expect(new Set(answers.map((answer) => answer.container?.id)).size).toBe(1);
        });
      }
    });
  }
}
