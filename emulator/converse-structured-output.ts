import { profileFor } from "../src/bedrock/models.ts";
import type { ConverseWireRequest } from "./converse-schema.ts";
import { schemaViolation } from "./json-schema.ts";

/**
 * Converse's structured outputs: `outputConfig.textFormat` (the schema as a JSON string) and strict
 * toolSpecs, refused on a model without them, and their schemas held to the rule Bedrock compiles.
 */

const schemaField = "outputConfig.textFormat.structure.jsonSchema.schema";

export function structuredOutputViolation(modelId: string, request: ConverseWireRequest): string | null {
  const schema = request.outputConfig?.textFormat?.structure.jsonSchema?.schema;
  const strictTools = (request.toolConfig?.tools ?? []).flatMap((tool, index) => (tool.toolSpec?.strict ? [{ index, json: tool.toolSpec.inputSchema.json }] : []));
  if (schema === undefined && strictTools.length === 0) return null;
  if (!profileFor(modelId).structuredOutputs) return "This model doesn't support structured outputs. Remove outputConfig.textFormat and strict from the request and try again.";
  for (const tool of strictTools) {
    const violation = schemaViolation(tool.json, `toolConfig.tools.${tool.index}.toolSpec.inputSchema.json`);
    if (violation !== null) return violation;
  }
  return schema === undefined ? null : textFormatViolation(schema);
}

function textFormatViolation(schema: string): string | null {
  try {
    return schemaViolation(JSON.parse(schema), schemaField);
  } catch {
    return `${schemaField}: the schema is not valid JSON`;
  }
}
