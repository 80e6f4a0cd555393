import { expect } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type {
  BetaAssistantMessageParam,
  BetaContainer,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaRawMessageStreamEvent,
  BetaTool,
  BetaToolResultBlockParam,
  BetaToolUnion,
  MessageCreateParamsBase,
} from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { z } from "zod";
import type { EmulatorTurn, RecordedRequest } from "./stack.ts";

/**
 * Programmatic Tool Calling through the official SDK's beta API: the tools and turns the PTC tests
 * script, one call that runs a request streamed or not (checking the stream's events against the
 * message they fold into), the shapes the SDK's beta types define, and what the emulator's request log
 * says the model was shown, read the same way on both upstream paths.
 */

export const ptcRoutes = [
  { name: "Claude (InvokeModel)", model: "claude-sonnet-4-6" },
  { name: "Converse (Qwen3 Coder)", model: "qwen.qwen3-coder-480b-a35b-v1:0" },
] as const;

export const codeTool = { type: "code_execution_20250825", name: "code_execution" } as const satisfies BetaToolUnion;

/** Callable from code only: the model never sees it as a tool of its own. */
export const weatherTool = {
  name: "get_weather",
  description: "The current weather in a city, as one line of text.",
  input_schema: { type: "object", properties: { city: { type: "string", description: "The city's name" } }, required: ["city"] },
  allowed_callers: ["code_execution_20250825"],
} as const satisfies BetaTool;

/** Callable both ways: the model may call it directly or from code. */
export const clockTool = {
  name: "get_time",
  description: "The local time in a city.",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  allowed_callers: ["direct", "code_execution_20250825"],
} as const satisfies BetaTool;

export const ptcBetas = ["advanced-tool-use-2025-11-20"];

export type PtcParams = Omit<MessageCreateParamsBase, "stream">;

export function ptcRequest(model: string, messages: BetaMessageParam[], extra: Partial<PtcParams> = {}): PtcParams {
  return { model, max_tokens: 1000, betas: ptcBetas, tools: [codeTool, weatherTool], messages, ...extra };
}

/** The model calls the code tool with `code` (after `text`, when given). */
export function codeTurn(code: string, options: { text?: string; usage?: { inputTokens: number; outputTokens: number } } = {}): EmulatorTurn {
  const content = [...(options.text === undefined ? [] : [{ text: options.text }]), { toolUse: { name: codeTool.name, input: { code } } }];
  return { content, ...(options.usage ? { usage: options.usage } : {}) };
}

export function textTurn(text: string, usage?: { inputTokens: number; outputTokens: number }): EmulatorTurn {
  return { content: [{ text }], ...(usage ? { usage } : {}) };
}

/** One request through `client.beta.messages.create` or `.stream`; a streamed one is checked against its final message. */
export async function ask(client: Anthropic, params: PtcParams, stream: boolean): Promise<BetaMessage> {
  if (!stream) return client.beta.messages.create({ ...params, stream: false });
  const running = client.beta.messages.stream(params);
  const events: BetaRawMessageStreamEvent[] = [];
  for await (const event of running) events.push(event);
  const message = await running.finalMessage();
  expectEventsFoldInto(events, message);
  return message;
}

/**
 * One message_start, one block after another (start, deltas, stop) at indices 0…n-1, one message_delta
 * carrying the stop reason and the container, message_stop last. A server_tool_use starts with empty input
 * and gets its code as input_json_delta; a code_execution_tool_result comes whole in its start event.
 */
export function expectEventsFoldInto(events: BetaRawMessageStreamEvent[], message: BetaMessage): void {
  expect(events[0]?.type).toBe("message_start");
  expect(events.filter((e) => e.type === "message_start").length).toBe(1);
  expect(events.at(-1)?.type).toBe("message_stop");
  const deltas = events.filter((e) => e.type === "message_delta");
  expect(deltas.length).toBe(1);
  expect(events.at(-2)?.type).toBe("message_delta");
  const delta = deltas[0];
  if (delta?.type !== "message_delta") throw new Error("no message_delta");
  expect(delta.delta.stop_reason).toBe(message.stop_reason);
  if (message.container) expect(delta.delta.container).toEqual(message.container);
  const starts = events.filter((e) => e.type === "content_block_start");
  expect(starts.map((e) => e.index)).toEqual(message.content.map((_, index) => index));
  expect(events.filter((e) => e.type === "content_block_stop").map((e) => e.index)).toEqual(message.content.map((_, index) => index));
  for (const start of starts) {
    const block = start.content_block;
    if (block.type === "server_tool_use") {
      expect(block.input).toEqual({});
      const json = events.flatMap((e) => (e.type === "content_block_delta" && e.index === start.index && e.delta.type === "input_json_delta" ? [e.delta.partial_json] : []));
      const final = message.content[start.index];
      expect(JSON.parse(json.join(""))).toEqual(final?.type === "server_tool_use" ? final.input : undefined);
    }
    if (block.type === "code_execution_tool_result") {
      expect(block).toEqual(message.content[start.index] as typeof block);
      expect(events.some((e) => e.type === "content_block_delta" && e.index === start.index)).toBe(false);
    }
  }
}

/** BetaContainer: `{id, expires_at, skills}` (skills null or left out), expiring in the future. */
export function expectContainer(container: BetaContainer | null | undefined): BetaContainer {
  if (!container) throw new Error(`no container in the answer: ${JSON.stringify(container)}`);
  expect(container.id).toMatch(/^container_/);
  expect(Date.parse(container.expires_at)).toBeGreaterThan(Date.now());
  expect(Object.keys(container).filter((key) => !["id", "expires_at", "skills"].includes(key))).toEqual([]);
  expect(container.skills ?? null).toBeNull();
  return container;
}

/** The answer's server_tool_use for the code tool, exactly as BetaServerToolUseBlock has it. */
export function serverToolUse(code: string) {
  return { type: "server_tool_use", id: expect.stringMatching(/^srvtoolu_/), name: codeTool.name, input: { code } };
}

/** A tool_use the code made, with its caller naming the paused code call. */
export function calledFromCode(serverToolUseId: string, name: string, input: Record<string, unknown>) {
  return { type: "tool_use", id: expect.stringMatching(/^toolu_/), name, input, caller: { type: codeTool.type, tool_id: serverToolUseId } };
}

export function codeResult(serverToolUseId: string, stdout: string, options: { stderr?: unknown; returnCode?: number } = {}) {
  return {
    type: "code_execution_tool_result",
    tool_use_id: serverToolUseId,
    content: { type: "code_execution_result", stdout, stderr: options.stderr ?? "", return_code: options.returnCode ?? 0, content: [] },
  };
}

/** The SDK's type has `{type, error_code}`; the proxy adds the `message` the model was told (docs/ptc.md). */
export function codeError(serverToolUseId: string, errorCode: "invalid_tool_input" | "unavailable" | "too_many_requests" | "execution_time_exceeded") {
  return { type: "code_execution_tool_result", tool_use_id: serverToolUseId, content: expect.objectContaining({ type: "code_execution_tool_result_error", error_code: errorCode }) };
}

export function text(value: string) {
  return expect.objectContaining({ type: "text", text: value });
}

/** The id of the answer's only server_tool_use. */
export function serverToolUseId(message: BetaMessage): string {
  const blocks = message.content.filter((block) => block.type === "server_tool_use");
  expect(blocks.length).toBe(1);
  return blocks[0]?.id ?? "";
}

export function toolUses(message: BetaMessage) {
  return message.content.flatMap((block) => (block.type === "tool_use" ? [block] : []));
}

/** The conversation so far, the assistant's answer echoed, and a user turn with one result per tool_use (in order). */
export function resumeWith(messages: BetaMessageParam[], answer: BetaMessage, results: Array<string | { content: string; is_error: true }>): BetaMessageParam[] {
  const calls = toolUses(answer);
  expect(calls.length).toBe(results.length);
  const content = calls.map((call, i): BetaToolResultBlockParam => {
    const result = results[i] ?? "";
    return typeof result === "string" ? { type: "tool_result", tool_use_id: call.id, content: result } : { type: "tool_result", tool_use_id: call.id, ...result };
  });
  return [...messages, echo(answer), { role: "user", content }];
}

/** An answer echoed as the next request's assistant turn (the SDK's own loop sends its blocks back as they came). */
export function echo(answer: BetaMessage): BetaAssistantMessageParam {
  return { role: "assistant", content: answer.content as BetaContentBlockParam[] };
}

/** An answer's blocks, for comparing with the shapes below. */
export function blocks(answer: BetaMessage): unknown[] {
  return answer.content;
}

// What the model was shown, read from the emulator's log on either path.

export interface ModelTool {
  name: string;
  description: string;
  schema: unknown;
}

export interface ModelBlock {
  role: string;
  type: "text" | "tool_use" | "tool_result" | "other";
  id?: string;
  name?: string;
  input?: unknown;
  /** Text of a text block or of a tool result. */
  text?: string;
}

const invokeBody = z.looseObject({
  tools: z.array(z.looseObject({ name: z.string(), description: z.string().default(""), input_schema: z.unknown() })).default([]),
  messages: z.array(z.looseObject({ role: z.string(), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]) })),
});

const converseBody = z.looseObject({
  toolConfig: z.looseObject({ tools: z.array(z.looseObject({ toolSpec: z.looseObject({ name: z.string(), description: z.string().default(""), inputSchema: z.looseObject({ json: z.unknown() }) }) })) }).optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.array(z.record(z.string(), z.unknown())) })),
});

const isConverse = (request: RecordedRequest) => request.operation.startsWith("converse");

export function modelTools(request: RecordedRequest): ModelTool[] {
  if (isConverse(request)) {
    return (converseBody.parse(request.body).toolConfig?.tools ?? []).map(({ toolSpec }) => ({ name: toolSpec.name, description: toolSpec.description, schema: toolSpec.inputSchema.json }));
  }
  return invokeBody.parse(request.body).tools.map((tool) => ({ name: tool.name, description: tool.description, schema: tool.input_schema }));
}

const textOf = (value: unknown): string => {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(textOf).join("");
  if (value && typeof value === "object") {
    const { text, json } = value as { text?: unknown; json?: unknown };
    if (typeof text === "string") return text;
    if (json !== undefined) return JSON.stringify(json);
  }
  return "";
};

/** The conversation the model saw, flattened to one entry per block, in order. */
export function modelHistory(request: RecordedRequest): ModelBlock[] {
  if (isConverse(request)) {
    return converseBody.parse(request.body).messages.flatMap(({ role, content }) => content.map((block) => converseBlock(role, block)));
  }
  return invokeBody.parse(request.body).messages.flatMap(({ role, content }) =>
    typeof content === "string" ? [{ role, type: "text" as const, text: content }] : content.map((block) => invokeBlock(role, block)),
  );
}

function invokeBlock(role: string, block: Record<string, unknown>): ModelBlock {
  if (block.type === "text") return { role, type: "text", text: textOf(block) };
  if (block.type === "tool_use") return { role, type: "tool_use", id: String(block.id), name: String(block.name), input: block.input };
  if (block.type === "tool_result") return { role, type: "tool_result", id: String(block.tool_use_id), text: textOf(block.content) };
  return { role, type: "other" };
}

function converseBlock(role: string, block: Record<string, unknown>): ModelBlock {
  if (typeof block.text === "string") return { role, type: "text", text: block.text };
  const use = z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).safeParse(block.toolUse);
  if (use.success) return { role, type: "tool_use", id: use.data.toolUseId, name: use.data.name, input: use.data.input };
  const result = z.looseObject({ toolUseId: z.string(), content: z.unknown() }).safeParse(block.toolResult);
  if (result.success) return { role, type: "tool_result", id: result.data.toolUseId, text: textOf(result.data.content) };
  return { role, type: "other" };
}

/** The model requests (not count_tokens) the emulator received, oldest first. */
export function modelCalls(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.operation !== "count-tokens");
}
