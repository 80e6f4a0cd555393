/**
 * Structured outputs in the emulator: the schema rule Bedrock enforces before generating (every object
 * closed with `additionalProperties: false`, as Anthropic's structured outputs require), and a value that
 * follows a schema, which the "model" answers with when asked for one.
 */

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);

/** Subschemas in the keywords the emulator looks into. */
function children(schema: Schema): unknown[] {
  const properties = isSchema(schema["properties"]) ? Object.values(schema["properties"]) : [];
  const lists = ["anyOf", "oneOf", "allOf", "prefixItems"].flatMap((key) => (Array.isArray(schema[key]) ? (schema[key] as unknown[]) : []));
  const defs = isSchema(schema["$defs"]) ? Object.values(schema["$defs"]) : [];
  return [...properties, ...lists, ...defs, schema["items"]];
}

/** The first rule the schema breaks, worded for `at` (the request field that holds it), else null. */
export function schemaViolation(schema: unknown, at: string): string | null {
  if (!isSchema(schema)) return `${at}: the schema must be a JSON object`;
  if (schema["type"] === "object" && schema["additionalProperties"] !== false) {
    return `${at}: For 'object' type, 'additionalProperties' must be explicitly set to false`;
  }
  for (const child of children(schema)) {
    if (child === undefined) continue;
    const violation = schemaViolation(child, at);
    if (violation !== null) return violation;
  }
  return null;
}

/** A value that follows the schema: strings say `text`, numbers are 0, arrays hold one item, every property is present. */
export function exampleOf(schema: unknown, text: string): unknown {
  if (!isSchema(schema)) return null;
  if ("const" in schema) return schema["const"];
  if (Array.isArray(schema["enum"])) return schema["enum"][0];
  const variant = ["anyOf", "oneOf"].map((key) => schema[key]).find(Array.isArray);
  if (variant) return exampleOf(variant[0], text);
  const type = Array.isArray(schema["type"]) ? schema["type"].find((t) => t !== "null") : schema["type"];
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(isSchema(schema["properties"]) ? schema["properties"] : {}).map(([name, sub]) => [name, exampleOf(sub, text)]));
    case "array":
      return [exampleOf(schema["items"], text)];
    case "string":
      return text;
    case "integer":
    case "number":
      return 0;
    case "boolean":
      return false;
    default:
      return null;
  }
}
