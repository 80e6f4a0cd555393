import { invalidRequest } from "../anthropic/errors.ts";
import { codeExecutionVersions, type CountTokensRequest, type CustomToolParam, type MessagesRequest, type ToolParam } from "../anthropic/schema.ts";
import { isCustomTool } from "../bedrock/converse/request/tools.ts";
import { holdsPtcBlocks } from "./history.ts";

/**
 * Programmatic tool calling (PTC), recognised: the request's code execution tool and the client tools its
 * code may call. What Anthropic refuses with PTC is refused here, before any model call (docs/ptc.md#the-plan).
 */

export type CodeToolVersion = "code_execution_20250825" | "code_execution_20260120";

export interface PtcPlan {
  codeTool: { name: string; version: CodeToolVersion };
  /** Client tools the code may call (allowed_callers names the version), as the client declared them. */
  codeCallable: CustomToolParam[];
}

const codeExecutionFamily = /^code_execution_\d{8}$/;

/** Any version of Anthropic's code execution tool, PTC or not. */
export function isCodeExecutionTool(tool: ToolParam): tool is ToolParam & { type: string } {
  return typeof tool.type === "string" && codeExecutionFamily.test(tool.type);
}

function isCodeToolVersion(type: string): type is CodeToolVersion {
  return (codeExecutionVersions as readonly string[]).includes(type);
}

/**
 * undefined when the request has no code-execution tool (400 if its history holds PTC blocks); 400s for
 * what Anthropic refuses with PTC (strict tool callable from code, forced tool_choice of a code-only tool,
 * disable_parallel_tool_use: true), and for an unknown code_execution version.
 */
export function planPtc(request: MessagesRequest | CountTokensRequest): PtcPlan | undefined {
  const tools = request.tools ?? [];
  const codeTool = findCodeTool(tools);
  if (!codeTool) {
    const where = holdsPtcBlocks(request.messages);
    if (where) throw invalidRequest(`${where}: programmatic tool calling blocks need a code execution tool in \`tools\` (code_execution_20250825 or code_execution_20260120)`);
    return undefined;
  }
  const namesake = tools.findIndex((tool) => tool.name === codeTool.name && !isCodeExecutionTool(tool));
  if (namesake >= 0) throw invalidRequest(`tools.${namesake}.name: \`${codeTool.name}\` is the code execution tool's name; tool names must be unique`);
  const codeCallable = tools.flatMap((tool, index) => (isCustomTool(tool) && callableFromCode(tool, index, codeTool.version) ? [tool] : []));
  assertToolChoice(request, tools, codeTool.version);
  return { codeTool, codeCallable };
}

function findCodeTool(tools: readonly ToolParam[]): PtcPlan["codeTool"] | undefined {
  const found = tools.flatMap((tool, index) => (isCodeExecutionTool(tool) ? [{ tool, index }] : []));
  const [first, second] = found;
  if (!first) return undefined;
  if (second) throw invalidRequest(`tools.${second.index}: only one code execution tool may be given (tools.${first.index} is one)`);
  const { type, name } = first.tool;
  if (!isCodeToolVersion(type)) {
    throw invalidRequest(`tools.${first.index}.type: \`${type}\` is not a code execution version this proxy runs; use one of ${codeExecutionVersions.join(", ")}`);
  }
  return { name, version: type };
}

/** Whether the code may call the tool; refuses callers and settings PTC cannot honour. */
function callableFromCode(tool: CustomToolParam, index: number, version: CodeToolVersion): boolean {
  const callers = tool.allowed_callers;
  if (callers === undefined) return false;
  if (callers.length === 0) throw invalidRequest(`tools.${index}.allowed_callers: must name at least one caller`);
  const other = callers.find((caller) => caller !== "direct" && caller !== version);
  if (other) throw invalidRequest(`tools.${index}.allowed_callers: \`${other}\` does not match the request's code execution tool (\`${version}\`)`);
  if (!callers.includes(version)) return false;
  if (tool.strict) throw invalidRequest(`tools.${index}.strict: strict mode is not supported for tools callable from code execution (\`${tool.name}\`)`);
  return true;
}

/** Whether the model may call a tool itself: allowed_callers absent, or naming `direct`. */
export function callableByModel(tool: ToolParam): boolean {
  return !isCustomTool(tool) || tool.allowed_callers === undefined || tool.allowed_callers.includes("direct");
}

function assertToolChoice(request: MessagesRequest | CountTokensRequest, tools: readonly ToolParam[], version: CodeToolVersion): void {
  const choice = request.tool_choice;
  if (!choice || choice.type === "none") return;
  if (choice.disable_parallel_tool_use) {
    throw invalidRequest("tool_choice.disable_parallel_tool_use: not supported with programmatic tool calling (the request has a code execution tool)");
  }
  if (choice.type !== "tool") return;
  const forced = tools.find((tool) => tool.name === choice.name);
  if (forced && !callableByModel(forced)) {
    throw invalidRequest(`tool_choice.name: \`${choice.name}\` can only be called from code (its allowed_callers is ${version} only), so it cannot be forced`);
  }
}
