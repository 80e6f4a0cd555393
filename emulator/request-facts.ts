import type { ConverseWireBlock, ConverseWireRequest, ConverseWireToolResultContent } from "./converse-schema.ts";
import type { InvokeBlock, InvokeBody } from "./invoke-schema.ts";
import { estimateTokens } from "./tokens.ts";

/**
 * What the emulator reads from a validated request, in either format: the text a scripted turn is
 * matched on (and the default answer quotes), and the input size its usage reports.
 */

export interface RequestFacts {
  /** The last user message's last text block, else the text of its tool results. */
  lastUserText: string;
  inputTokens: number;
  /** What a `stop_sequence` stop reports as matched: the request's first stop sequence. */
  stopSequences: readonly string[];
  /** The tools the model may call: those the request declares, none under InvokeModel's `tool_choice: none`. */
  callableTools: ReadonlySet<string>;
  /** The JSON schema the answer's text must follow (structured outputs), when the request set one. */
  outputSchema?: unknown;
}

const jsonLength = (value: unknown): number => JSON.stringify(value ?? null).length;

export function converseFacts(request: ConverseWireRequest): RequestFacts {
  const messages = request.messages ?? [];
  const lengths = [
    ...(request.system ?? []).map((block) => block.text?.length ?? 0),
    ...messages.flatMap((message) => message.content.flatMap(converseBlockLengths)),
    request.toolConfig ? jsonLength(request.toolConfig.tools) : 0,
  ];
  const lastUser = messages.findLast((message) => message.role === "user");
  return {
    lastUserText: lastUser ? converseLastText(lastUser.content) : "",
    inputTokens: estimateTokens(lengths),
    stopSequences: request.inferenceConfig?.stopSequences ?? [],
    // Converse has no "none" choice: what toolConfig declares can be called.
    callableTools: new Set((request.toolConfig?.tools ?? []).flatMap((tool) => (tool.toolSpec ? [tool.toolSpec.name] : []))),
    ...outputSchema(request.outputConfig?.textFormat?.structure.jsonSchema?.schema),
  };
}

/** Validation has parsed the schema string already. */
function outputSchema(schema: string | undefined): Pick<RequestFacts, "outputSchema"> {
  return schema === undefined ? {} : { outputSchema: JSON.parse(schema) as unknown };
}

function converseBlockLengths(block: ConverseWireBlock): number[] {
  if (block.text !== undefined) return [block.text.length];
  if (block.toolUse) return [block.toolUse.name.length, jsonLength(block.toolUse.input)];
  if (block.toolResult) return block.toolResult.content.map((item) => converseResultText(item).length);
  if (block.reasoningContent?.reasoningText) return [block.reasoningContent.reasoningText.text.length];
  return [block.document?.source.text?.length ?? 0];
}

function converseResultText(item: ConverseWireToolResultContent): string {
  if (item.text !== undefined) return item.text;
  return item.json !== undefined ? JSON.stringify(item.json) : "";
}

function converseLastText(content: readonly ConverseWireBlock[]): string {
  const lastText = content.findLast((block) => block.text !== undefined)?.text;
  if (lastText !== undefined) return lastText;
  return content.flatMap((block) => block.toolResult?.content.map(converseResultText) ?? []).join("\n");
}

export function invokeFacts(body: InvokeBody): RequestFacts {
  const system = typeof body.system === "string" ? [body.system.length] : (body.system ?? []).map((block) => block.text?.length ?? 0);
  const lengths = [
    ...system,
    ...body.messages.flatMap((message) => (typeof message.content === "string" ? [message.content.length] : message.content.map(invokeBlockLength))),
    body.tools ? jsonLength(body.tools) : 0,
  ];
  const lastUser = body.messages.findLast((message) => message.role === "user");
  const lastUserText = lastUser === undefined ? "" : typeof lastUser.content === "string" ? lastUser.content : invokeLastText(lastUser.content);
  const callableTools = new Set(body.tool_choice?.type === "none" ? [] : (body.tools ?? []).map((tool) => tool.name));
  const schema = body.output_config?.format?.schema;
  return { lastUserText, inputTokens: estimateTokens(lengths), stopSequences: body.stop_sequences ?? [], callableTools, ...(schema === undefined ? {} : { outputSchema: schema }) };
}
function invokeBlockLength(block: InvokeBlock): number {
  switch (block.type) {
    case "text":
      return block.text?.length ?? 0;
    case "thinking":
      return block.thinking?.length ?? 0;
    case "tool_use":
      return (block.name?.length ?? 0) + jsonLength(block.input);
    case "tool_result":
      return invokeResultText(block).length;
    default:
      return 0;
  }
}

function invokeResultText(block: InvokeBlock): string {
  if (typeof block.content === "string") return block.content;
  return (block.content ?? []).map((item) => item.text ?? "").join("\n");
}

function invokeLastText(content: readonly InvokeBlock[]): string {
  const lastText = content.findLast((block) => block.type === "text")?.text;
  if (lastText !== undefined) return lastText;
  return content.filter((block) => block.type === "tool_result").map(invokeResultText).join("\n");
}
