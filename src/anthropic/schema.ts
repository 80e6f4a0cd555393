import { z } from "zod";

/**
 * The Anthropic Messages API request, as clients send it.
 * Objects are loose: fields we do not know (new betas) survive validation, and each upstream path
 * decides what to forward. Known fields are checked so that a client's mistake is a 400 naming the field.
 */

export const cacheControlSchema = z.looseObject({
  type: z.literal("ephemeral"),
  ttl: z.enum(["5m", "1h"]).optional(),
});

const cacheable = { cache_control: cacheControlSchema.nullish() };

export const imageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;

export const imageSourceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.enum(imageMediaTypes), data: z.string().min(1) }),
  z.looseObject({ type: z.literal("url"), url: z.url() }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

export const textBlockSchema = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  citations: z.array(z.looseObject({ type: z.string() })).nullish(),
  ...cacheable,
});

export const imageBlockSchema = z.looseObject({ type: z.literal("image"), source: imageSourceSchema, ...cacheable });

const documentSourceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.literal("application/pdf"), data: z.string().min(1) }),
  z.looseObject({ type: z.literal("text"), media_type: z.literal("text/plain"), data: z.string() }),
  z.looseObject({ type: z.literal("url"), url: z.url() }),
  z.looseObject({
    type: z.literal("content"),
    content: z.union([z.string(), z.array(z.union([textBlockSchema, imageBlockSchema]))]),
  }),
  z.looseObject({ type: z.literal("file"), file_id: z.string() }),
]);

export const documentBlockSchema = z.looseObject({
  type: z.literal("document"),
  source: documentSourceSchema,
  title: z.string().nullish(),
  context: z.string().nullish(),
  citations: z.looseObject({ enabled: z.boolean().optional() }).nullish(),
  ...cacheable,
});

export const searchResultBlockSchema = z.looseObject({
  type: z.literal("search_result"),
  source: z.string(),
  title: z.string(),
  content: z.array(textBlockSchema),
  ...cacheable,
});

export const thinkingBlockSchema = z.looseObject({
  type: z.literal("thinking"),
  thinking: z.string(),
  signature: z.string(),
});

export const redactedThinkingBlockSchema = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

/** Code execution versions that run programmatic tool calling (PTC); docs/ptc.md. */
export const codeExecutionVersions = ["code_execution_20250825", "code_execution_20260120"] as const;

/** Who may call a tool: the model (`direct`) or code run by a code execution version (the SDK also lists 20260521). */
export const toolCallerTypes = ["direct", ...codeExecutionVersions, "code_execution_20260521"] as const;

/** Which party made a tool call: the model, or code the code execution tool `tool_id` ran (PTC). */
export const toolUseCallerSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("direct") }),
  z.looseObject({ type: z.enum(codeExecutionVersions), tool_id: z.string().min(1) }),
]);

export const toolUseBlockSchema = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
  caller: toolUseCallerSchema.optional(),
  ...cacheable,
});

export const toolResultBlockSchema = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z
    .union([
      z.string(),
      z.array(z.discriminatedUnion("type", [textBlockSchema, imageBlockSchema, documentBlockSchema, searchResultBlockSchema])),
    ])
    .optional(),
  is_error: z.boolean().optional(),
  ...cacheable,
});

/** Blocks produced by server tools (and echoed back by clients); only the native Claude path can take them. */
const serverBlockSchema = <T extends string>(type: T) => z.looseObject({ type: z.literal(type) });

/** A server tool's call; with PTC, the proxy's answer shows a code tool call as one (docs/ptc.md). */
export const serverToolUseBlockSchema = z.looseObject({
  type: z.literal("server_tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
  caller: toolUseCallerSchema.optional(),
  ...cacheable,
});

export const codeExecutionErrorCodes = ["invalid_tool_input", "unavailable", "too_many_requests", "execution_time_exceeded"] as const;

/** The outcome of one code tool call, as the answer reports it and the client echoes it back. */
export const codeExecutionToolResultBlockSchema = z.looseObject({
  type: z.literal("code_execution_tool_result"),
  tool_use_id: z.string().min(1),
  content: z.discriminatedUnion("type", [
    z.looseObject({
      type: z.literal("code_execution_result"),
      stdout: z.string(),
      stderr: z.string(),
      return_code: z.number().int(),
      content: z.array(z.looseObject({ type: z.string() })),
    }),
    z.looseObject({ type: z.literal("code_execution_tool_result_error"), error_code: z.enum(codeExecutionErrorCodes) }),
    z.looseObject({ type: z.literal("encrypted_code_execution_result") }),
  ]),
  ...cacheable,
});

export const contentBlockSchema = z.discriminatedUnion("type", [
  textBlockSchema,
  imageBlockSchema,
  documentBlockSchema,
  searchResultBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  serverToolUseBlockSchema,
  serverBlockSchema("web_search_tool_result"),
  serverBlockSchema("web_fetch_tool_result"),
  codeExecutionToolResultBlockSchema,
  serverBlockSchema("bash_code_execution_tool_result"),
  serverBlockSchema("text_editor_code_execution_tool_result"),
  serverBlockSchema("tool_search_tool_result"),
  serverBlockSchema("mcp_tool_use"),
  serverBlockSchema("mcp_tool_result"),
  serverBlockSchema("container_upload"),
  serverBlockSchema("compaction"),
]);

export const messageParamSchema = z.looseObject({
  /** `system` is the mid-conversation system message beta (Claude Code sends it). */
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

export const customToolSchema = z.looseObject({
  type: z.union([z.literal("custom"), z.null()]).optional(),
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.string().optional() }),
  input_examples: z.array(z.record(z.string(), z.unknown())).optional(),
  /** Structured outputs: the model's input for this tool must follow its schema. */
  strict: z.boolean().optional(),
  /** Tool search: the tool stays out of the prompt until a search loads it (Claude Code 2.1.332 sends one). */
  defer_loading: z.boolean().optional(),
  /** PTC: who may call the tool; absent means the model only (docs/ptc.md). */
  allowed_callers: z.array(z.enum(toolCallerTypes)).optional(),
  ...cacheable,
});

/** Server tools (`web_search_20250305`, `code_execution_20250825`, …) are told apart by a dated `type`. */
export const serverToolSchema = z.looseObject({
  type: z.string().regex(/_\d{8}$/, "is not a known tool type"),
  name: z.string().min(1),
  ...cacheable,
});

export const toolSchema = z.union([customToolSchema, serverToolSchema]);

export const toolChoiceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("none") }),
]);

/** `omitted` returns thinking blocks with empty text (the signature still carries them): a faster first text token. */
const thinkingDisplay = { display: z.enum(["summarized", "omitted"]).optional() };

export const thinkingSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024), ...thinkingDisplay }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive"), ...thinkingDisplay }),
]);

/** Structured outputs: the answer's text is JSON following `schema`. */
export const jsonOutputFormatSchema = z.looseObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) });

export const systemSchema = z.union([z.string(), z.array(textBlockSchema)]);

const conversationFields = {
  // Longer than any model id, profile or ARN; bounded so that every request's usage can be stored.
  model: z.string().min(1).max(256),
  messages: z.array(messageParamSchema),
  system: systemSchema.optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
};

export const messagesRequestSchema = z
  .looseObject({
    ...conversationFields,
    max_tokens: z.number().int().min(1),
    stream: z.boolean().optional(),
    stop_sequences: z.array(z.string()).optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
    service_tier: z.enum(["auto", "standard_only"]).optional(),
    output_config: z.looseObject({ effort: z.enum(["low", "medium", "high", "max"]).optional(), format: jsonOutputFormatSchema.nullish() }).optional(),
    /** The structured-outputs beta's name for `output_config.format`. */
    output_format: jsonOutputFormatSchema.nullish(),
    context_management: z.looseObject({}).optional(),
    /** PTC: the container a paused code execution waits in (docs/ptc.md). */
    container: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1).nullish() })]).nullish(),
    /** The message-threads beta: a conversation the server would hold (`create`) or continue from a stored reply. */
    thread: z.looseObject({ type: z.string() }).nullish(),
  })
  .refine((r) => r.thinking?.type !== "enabled" || r.thinking.budget_tokens < r.max_tokens, {
    message: "`max_tokens` must be greater than `thinking.budget_tokens`",
    path: ["max_tokens"],
  });

export const countTokensRequestSchema = z.looseObject(conversationFields);

export type CacheControl = z.infer<typeof cacheControlSchema>;
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type MessageParam = z.infer<typeof messageParamSchema>;
export type ContentBlockParam = z.infer<typeof contentBlockSchema>;
export type TextBlockParam = z.infer<typeof textBlockSchema>;
export type ImageBlockParam = z.infer<typeof imageBlockSchema>;
export type DocumentBlockParam = z.infer<typeof documentBlockSchema>;
export type ToolUseBlockParam = z.infer<typeof toolUseBlockSchema>;
export type ToolResultBlockParam = z.infer<typeof toolResultBlockSchema>;
export type ToolUseCaller = z.infer<typeof toolUseCallerSchema>;
export type ServerToolUseBlockParam = z.infer<typeof serverToolUseBlockSchema>;
export type CodeExecutionToolResultBlockParam = z.infer<typeof codeExecutionToolResultBlockSchema>;
export type ToolParam = z.infer<typeof toolSchema>;
export type CustomToolParam = z.infer<typeof customToolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
export type JsonOutputFormat = z.infer<typeof jsonOutputFormatSchema>;
export type ThinkingConfig = z.infer<typeof thinkingSchema>;
export type SystemParam = z.infer<typeof systemSchema>;
