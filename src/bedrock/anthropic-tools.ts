import { invalidRequest } from "../anthropic/errors.ts";
import { codeExecutionVersions, type ToolParam } from "../anthropic/schema.ts";
import { acceptedBetas } from "./betas.ts";
import type { ResolvedModel } from "./models.ts";

/**
 * Tools Anthropic defines (a dated `type` instead of an `input_schema`), and which of them Bedrock serves:
 * the one place this is decided, for both routes. Bedrock's Claude takes the client tools Anthropic
 * trained it on (the client runs them; computer use under the beta the client names) and runs tool search
 * under its own beta. Every other one (web search, web fetch, code execution, the advisor, toolsets…) runs on
 * Anthropic's servers only, and Bedrock would refuse it in words that do not say so.
 *
 * Sources: the Bedrock user guide, "Anthropic Claude Messages API" → tool use (bash, text editor, computer
 * use, memory) and "Tool search tool"; Anthropic's server tool pages for what runs on their side.
 * The code execution versions of programmatic tool calling run on the proxy itself when it has a sandbox
 * service (docs/ptc.md): the model then sees an ordinary tool, so one reaching Bedrock means PTC is off.
 */

interface ServedTool {
  family: RegExp;
  /** The Bedrock beta the model must accept for Bedrock to serve the tool. */
  beta?: string;
}

/** Matched on the whole `type`, so a new version of a served family is served too. */
const servedOnInvoke: ServedTool[] = [
  { family: /^bash_\d{8}$/ },
  { family: /^text_editor_\d{8}$/ },
  { family: /^computer_\d{8}$/ },
  { family: /^memory_\d{8}$/ },
  { family: /^tool_search_tool_(regex|bm25)_\d{8}$/, beta: "tool-search-tool-2025-10-19" },
];

/** Tools the proxy runs itself when configured, and what to tell a client when it is not. */
const runByProxy: { types: readonly string[]; whenOff: string }[] = [
  { types: codeExecutionVersions, whenOff: "code execution is not enabled on this proxy (set SANDBOX_URL and SANDBOX_TOKEN)" },
];

type DefinedTool = ToolParam & { type: string };

/** A tool with Anthropic's dated `type` (a custom tool has no type, or `custom`). */
function isAnthropicDefined(tool: ToolParam): tool is DefinedTool {
  return typeof tool.type === "string" && tool.type !== "custom";
}

/** Throws a 400 naming the first tool the model cannot have on Bedrock. */
export function assertToolsServed(tools: readonly ToolParam[] | undefined, model: ResolvedModel): void {
  for (const [index, tool] of (tools ?? []).entries()) {
    if (!isAnthropicDefined(tool)) continue;
    const problem = whyNotServed(tool, model);
    if (problem) throw invalidRequest(`tools.${index}: ${problem}`);
  }
}

function whyNotServed(tool: DefinedTool, model: ResolvedModel): string | undefined {
  const named = `\`${tool.type}\` (${tool.name})`;
  const proxyTool = runByProxy.find((entry) => entry.types.includes(tool.type));
  if (proxyTool) return `${named}: ${proxyTool.whenOff}`;
  if (!servedFamily(tool.type)) return `the server tool ${named} runs on Anthropic's servers only; Bedrock does not offer it`;
  if (model.route === "converse") return `the Anthropic-defined tool ${named} has no Converse counterpart for model ${model.requested}`;
  if (!invokeServes(tool.type, model.modelId)) return `the server tool ${named} is not offered by Bedrock for model ${model.requested}`;
  return undefined;
}

function servedFamily(type: string): ServedTool | undefined {
  return servedOnInvoke.find((entry) => entry.family.test(type));
}

/** Whether Bedrock's InvokeModel takes this Anthropic-defined tool type for the model (the emulator's rule too). */
export function invokeServes(type: string, modelId: string): boolean {
  const served = servedFamily(type);
  return served !== undefined && (served.beta === undefined || acceptedBetas(modelId).has(served.beta));
}
