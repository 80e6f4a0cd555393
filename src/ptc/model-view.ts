import { invalidRequest } from "../anthropic/errors.ts";
import type { ContentBlockParam, CountTokensRequest, CustomToolParam, MessageParam, MessagesRequest, ToolParam } from "../anthropic/schema.ts";
import { isCustomTool } from "../bedrock/converse/request/tools.ts";
import { codeToolResultBlock } from "./code-result.ts";
import { codeToolForModel } from "./code-tool.ts";
import { callableByModel, isCodeExecutionTool, type PtcPlan } from "./plan.ts";

/**
 * The request the model sees when the proxy runs PTC itself (docs/ptc.md#the-models-view): the code
 * execution tool is an ordinary tool taking `{code}`, code-only tools are not offered, and the history's
 * PTC blocks become what the model saw when they were made. Nothing Bedrock would refuse is left.
 */

type Role = "user" | "assistant";

/** The request the model sees: tools rewritten, history converted, container and PTC fields removed. */
export function modelView<R extends MessagesRequest | CountTokensRequest>(request: R, plan: PtcPlan): R {
  const { container: _container, ...rest } = request;
  const tools = (request.tools ?? []).flatMap((tool) => toolForModel(tool, plan));
  return { ...rest, tools, messages: historyForModel(request.messages, plan) } as R;
}

function toolForModel(tool: ToolParam, plan: PtcPlan): ToolParam[] {
  // The client's cache breakpoint stays where it put it (often on the last tool, to cache them all).
  if (isCodeExecutionTool(tool)) return [{ ...codeToolForModel(plan), ...(tool.cache_control ? { cache_control: tool.cache_control } : {}) }];
  if (!callableByModel(tool)) return [];
  if (!isCustomTool(tool)) return [tool];
  const { allowed_callers: _callers, ...offered } = tool;
  return [offered satisfies CustomToolParam];
}

/**
 * The flat rule: each block of each message maps to at most one block (with the role it belongs to),
 * in order; a message splits where the role changes, and a message left empty goes. prepareRequest's
 * mergeSameRole then joins neighbouring turns of one role.
 */
export function historyForModel(messages: readonly MessageParam[], plan: PtcPlan): MessageParam[] {
  const fromCode = callsFromCode(messages);
  return messages.flatMap((message, i): MessageParam[] => {
    const { role, content } = message;
    if (role === "system" || typeof content === "string") return [message];
    return splitByRole(content.flatMap((block, j) => blockForModel(block, role, plan, fromCode, `messages.${i}.content.${j}`)));
  });
}

/** Ids of the tool calls the code made: the model never sees them or their results. */
function callsFromCode(messages: readonly MessageParam[]): Set<string> {
  const ids = new Set<string>();
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type === "tool_use" && block.caller && block.caller.type !== "direct") ids.add(block.id);
    }
  }
  return ids;
}

interface Placed {
  role: Role;
  block: ContentBlockParam;
}

function blockForModel(block: ContentBlockParam, role: Role, plan: PtcPlan, fromCode: ReadonlySet<string>, path: string): Placed[] {
  switch (block.type) {
    case "server_tool_use": {
      if (block.name !== plan.codeTool.name) return [{ role, block }];
      const { caller: _caller, type: _type, ...call } = block;
      return [{ role: "assistant", block: { ...call, type: "tool_use", input: { code: codeOf(block.input, path) } } }];
    }
    case "code_execution_tool_result":
      return [{ role: "user", block: codeToolResultBlock(block.tool_use_id, outcomeOf(block.content, path), block.cache_control) }];
    case "tool_use": {
      if (fromCode.has(block.id)) return [];
      const { caller: _caller, ...call } = block;
      return [{ role, block: call }];
    }
    case "tool_result":
      return fromCode.has(block.tool_use_id) ? [] : [{ role, block }];
    default:
      return [{ role, block }];
  }
}

function codeOf(input: unknown, path: string): string {
  const code = typeof input === "object" && input !== null && "code" in input ? input.code : undefined;
  if (typeof code !== "string") throw invalidRequest(`${path}.input.code: the code tool's input must hold its code as a string`);
  return code;
}

type ResultContent = Extract<ContentBlockParam, { type: "code_execution_tool_result" }>["content"];

function outcomeOf(content: ResultContent, path: string) {
  switch (content.type) {
    case "code_execution_result":
      return { type: content.type, stdout: content.stdout, stderr: content.stderr, return_code: content.return_code, content: [] as [] };
    case "code_execution_tool_result_error":
      return { type: content.type, error_code: content.error_code, ...(typeof content["message"] === "string" ? { message: content["message"] } : {}) };
    case "encrypted_code_execution_result":
      throw invalidRequest(`${path}.content: an encrypted code execution result comes from Anthropic's servers; this proxy cannot read it`);
  }
}

function splitByRole(placed: readonly Placed[]): MessageParam[] {
  const turns: { role: Role; content: ContentBlockParam[] }[] = [];
  for (const { role, block } of placed) {
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(block);
    else turns.push({ role, content: [block] });
  }
  return turns;
}
