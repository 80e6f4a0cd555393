import type { BetaMessageParam, BetaToolUnion, MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/beta/messages";
import { type MessagesRequest, messagesRequestSchema } from "../../../src/anthropic/schema.ts";

/** Client-side PTC fixtures, typed by the official SDK's beta types so the shapes are the SDK's. */

export const codeTool = { type: "code_execution_20250825", name: "code_execution" } satisfies BetaToolUnion;

/** The SDK's types name the code tool `code_execution`; the API takes any name. */
export function renamed(tool: BetaToolUnion, name: string): BetaToolUnion {
  return Object.assign({}, tool, { name });
}

export const weatherTool = {
  name: "get_weather",
  description: "Current weather for a city.",
  input_schema: {
    type: "object",
    properties: {
      city: { type: "string", description: "City name, e.g. Paris." },
      units: { type: "string", enum: ["celsius", "fahrenheit"], description: "Temperature units.", default: "celsius" },
    },
    required: ["city"],
  },
  input_examples: [{ city: "Paris" }, { city: "Oslo", units: "fahrenheit" }],
  allowed_callers: ["code_execution_20250825"],
} satisfies BetaToolUnion;

export const searchTool = {
  name: "search-docs",
  description: "Search the documentation.\nReturns JSON: a list of {title, url}.",
  input_schema: {
    type: "object",
    properties: {
      query: { type: "string" },
      filters: {
        type: "object",
        description: "Narrow the search.",
        properties: { section: { type: "string" }, since: { type: ["integer", "null"] } },
        required: ["section"],
      },
      tags: { type: "array", items: { type: "string" } },
      limit: { type: "integer", minimum: 1 },
      "max-age": { type: "number", description: "Days." },
      pages: { type: "array", items: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
      mode: { anyOf: [{ type: "string", const: "fast" }, { type: "boolean" }] },
      extra: {},
    },
    required: ["query", "tags"],
  },
  allowed_callers: ["direct", "code_execution_20250825"],
} satisfies BetaToolUnion;

export const directTool = {
  name: "send_email",
  description: "Send an email.",
  input_schema: { type: "object", properties: { to: { type: "string" } }, required: ["to"] },
} satisfies BetaToolUnion;

/** Body fields (`betas` is a header the SDK sends, not a body field). */
type Fields = Partial<Omit<MessageCreateParamsNonStreaming, "messages" | "tools" | "betas">>;

/** A client request as the proxy's validator leaves it. */
export function clientRequest(tools: BetaToolUnion[], messages: BetaMessageParam[], fields: Fields = {}): MessagesRequest {
  const body: MessageCreateParamsNonStreaming = { model: "claude-sonnet-4-6", max_tokens: 1000, tools, messages, ...fields };
  return messagesRequestSchema.parse(body);
}
