import type { ConverseStreamCommandInput } from "@aws-sdk/client-bedrock-runtime";

/** Smithy's JSON document type, as the Converse input declares it (tool inputs, schemas, extra fields). */
export type JsonDocument = Exclude<ConverseStreamCommandInput["additionalModelRequestFields"], undefined>;
export type JsonObject = { [key: string]: JsonDocument };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A client's JSON value (tool input, input schema) as a Smithy document. Values JSON cannot carry
 * (undefined, functions) are left out, exactly as JSON.stringify would do.
 */
export function toJsonDocument(value: unknown): JsonDocument {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((item) => (isJsonValue(item) ? toJsonDocument(item) : null));
  if (isRecord(value)) return toJsonObject(value);
  return null;
}

export function toJsonObject(value: Record<string, unknown>): JsonObject {
  // fromEntries defines each key as an own property: an assignment to `__proto__` would drop the key
  // and set the object's prototype instead.
  return Object.fromEntries(Object.entries(value).flatMap(([key, item]) => (isJsonValue(item) ? [[key, toJsonDocument(item)]] : [])));
}

function isJsonValue(value: unknown): boolean {
  return value !== undefined && typeof value !== "function" && typeof value !== "symbol" && typeof value !== "bigint";
}
