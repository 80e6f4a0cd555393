import { invalidRequest } from "../anthropic/errors.ts";
import type { MessagesRequest, ToolParam } from "../anthropic/schema.ts";
import type { Logger } from "../../lib/log.ts";
import type { ResolvedModel } from "./models.ts";

/**
 * Structured outputs change the answer's contract (JSON that follows a schema, tool inputs that follow
 * theirs), so they are never dropped: they reach a model that takes them, or the client gets a 400.
 * The structured-outputs beta's `output_format` is Anthropic's earlier name for `output_config.format`;
 * Bedrock knows only the GA form, so both become `output_config.format` here, for both routes.
 */

export function fitStructuredOutputs(request: MessagesRequest, model: ResolvedModel, log: Logger): MessagesRequest {
  const { output_format: beta, ...fitted } = request;
  const format = outputFormat(request);
  if (format && !model.profile.structuredOutputs) {
    throw invalidRequest(`${beta ? "output_format" : "output_config.format"}: model ${model.requested} does not take structured outputs on Bedrock`);
  }
  if (beta) fitted.output_config = { ...request.output_config, format: beta };
  if (request.tools) fitted.tools = request.tools.map((tool, index) => fitStrict(tool, index, model, log));
  return fitted;
}

function outputFormat(request: MessagesRequest) {
  const format = request.output_config?.format;
  if (format && request.output_format) throw invalidRequest("output_format: send either `output_format` or `output_config.format`, not both");
  return format ?? request.output_format;
}

/** `strict: false` is the default, so a model without strict tools loses nothing when it is dropped. */
function fitStrict(tool: ToolParam, index: number, model: ResolvedModel, log: Logger): ToolParam {
  if (!("strict" in tool) || tool.strict === undefined || model.profile.structuredOutputs) return tool;
  if (tool.strict) throw invalidRequest(`tools.${index}.strict: model ${model.requested} does not take strict tools on Bedrock`);
  log.debug("tool strict: false dropped: the model has no strict tools", { model: model.modelId, tool: tool.name });
  const { strict: _strict, ...rest } = tool;
  return rest;
}
