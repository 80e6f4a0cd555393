import type { Message, Tool, ToolChoice as BedrockToolChoice, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import type { CustomToolParam, ToolChoice, ToolParam } from "../../../anthropic/schema.ts";
import { cachePointFor } from "./cache-points.ts";
import { unsupported, type ConversionContext } from "./context.ts";
import { toJsonObject } from "../json-document.ts";

/** The client's tools as Converse tools (registering their names first, so definitions win the plain names). */
export function toConverseTools(tools: readonly ToolParam[] | undefined, ctx: ConversionContext): Tool[] {
  return (tools ?? []).flatMap((tool): Tool[] => {
    // prepareRequest has refused every Anthropic-defined tool for Converse (anthropic-tools.ts); this narrows the type.
    if (!isCustomTool(tool)) throw unsupported(ctx.model, `The server tool \`${tool.type}\` (${tool.name})`);
    const cachePoint = toolCachePoint(tool, ctx);
    const spec: Tool = { toolSpec: toToolSpec(tool, ctx) };
    return cachePoint ? [spec, { cachePoint }] : [spec];
  });
}

/**
 * Bedrock caches tool definitions for Claude only (Nova caches system and messages, not tools); Claude
 * reaches this converter only in the golden tests (see ConversionContext.anthropic).
 */
function toolCachePoint(tool: CustomToolParam, ctx: ConversionContext) {
  if (tool.cache_control && !ctx.anthropic) {
    ctx.debugOnce(`cache_control on tools dropped: model ${ctx.model.requested} caches system and messages only`);
    return undefined;
  }
  return cachePointFor(tool.cache_control, ctx);
}

function toToolSpec(tool: CustomToolParam, ctx: ConversionContext): NonNullable<Tool["toolSpec"]> {
  const schema = toJsonObject(tool.input_schema);
  // Bedrock requires an object schema at the top; Anthropic implies it.
  if (schema["type"] === undefined) schema["type"] = "object";
  const description = describe(tool, ctx);
  return {
    name: ctx.toolNames.toBedrock(tool.name),
    ...(description ? { description } : {}),
    inputSchema: { json: schema },
    // Prepare has refused it for a model without structured outputs.
    ...(tool.strict ? { strict: true } : {}),
  };
}

/** Converse has no field for `input_examples`: they go into the description, where the model still reads them. */
function describe(tool: CustomToolParam, ctx: ConversionContext): string | undefined {
  const examples = tool.input_examples ?? [];
  if (examples.length === 0) return tool.description || undefined;
  ctx.debug(`tool ${tool.name}: input_examples appended to its description`);
  const listed = examples.map((example) => JSON.stringify(example)).join("\n");
  return `${tool.description ? `${tool.description}\n\n` : ""}Examples of valid input:\n${listed}`;
}

export function isCustomTool(tool: ToolParam): tool is CustomToolParam {
  return "input_schema" in tool && (tool.type === undefined || tool.type === null || tool.type === "custom");
}

/**
 * toolConfig is sent whenever there are tools, and ALSO whenever the history holds toolUse/toolResult
 * blocks: Bedrock refuses those without a toolConfig (docs/bedrock-protocol.md#p4-tool-config). With no tools in the request, the
 * tools used in the history are declared with an empty object schema.
 * `tool_choice: none` is the exception: Converse has no "none", and any declared tool can be called,
 * so no toolConfig goes and the history's tool blocks are sent as text (tool-blocks-as-text.ts).
 */
export function toToolConfig(
  tools: readonly Tool[],
  toolChoice: ToolChoice | undefined,
  messages: readonly Message[],
  ctx: ConversionContext,
): ToolConfiguration | undefined {
  if (toolChoice?.type === "none") {
    ctx.debug("tool_choice none: no toolConfig sent, so no tool can be called (Converse has no \"none\")");
    return undefined;
  }
  const declared = tools.length > 0 ? [...tools] : historyTools(messages);
  if (declared.length === 0) {
    if (toolChoice) ctx.debug(`tool_choice ${toolChoice.type} dropped: the request has no tools`);
    return undefined;
  }
  if (tools.length === 0) ctx.debug("tools used in the history declared for Bedrock, which requires a toolConfig with tool blocks");
  const choice = toolChoice && toBedrockToolChoice(toolChoice, ctx);
  return choice ? { tools: declared, toolChoice: choice } : { tools: declared };
}

function historyTools(messages: readonly Message[]): Tool[] {
  const blocks = messages.flatMap((message) => message.content ?? []);
  const names = new Set(blocks.flatMap((block) => (block.toolUse?.name ? [block.toolUse.name] : [])));
  return [...names].map((name) => ({ toolSpec: { name, inputSchema: { json: { type: "object", properties: {} } } } }));
}

function toBedrockToolChoice(choice: Exclude<ToolChoice, { type: "none" }>, ctx: ConversionContext): BedrockToolChoice {
  if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use) {
    ctx.debug("tool_choice.disable_parallel_tool_use dropped: Converse has no equivalent");
  }
  switch (choice.type) {
    case "auto":
      return { auto: {} };
    case "any":
      return { any: {} };
    case "tool":
      return { tool: { name: ctx.toolNames.toBedrock(choice.name) } };
  }
}
