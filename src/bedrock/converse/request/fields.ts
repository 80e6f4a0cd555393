import type { InferenceConfiguration, OutputConfig } from "@aws-sdk/client-bedrock-runtime";
import type { MessagesRequest } from "../../../anthropic/schema.ts";
import type { PreparedMessagesRequest } from "../../prepare.ts";
import { reasoningFields } from "../../reasoning.ts";
import { toJsonObject, type JsonDocument, type JsonObject } from "../json-document.ts";
import { unsupported, type ConversionContext } from "./context.ts";

/**
 * What each Anthropic request field becomes on Converse: one table, one row per field. The fields of
 * the conversation (messages, system, tools, tool_choice) are converted together by their own files;
 * every other field is placed here, into the inference settings, the model's own fields or the
 * request metadata, or dropped with a note, or refused. A field no row names is dropped with a note.
 * The `claudeOnly` rows never apply in production (see ConversionContext.anthropic).
 */

/** The parts of a Converse input that the fields outside the conversation fill. */
export interface FieldParts {
  inferenceConfig: InferenceConfiguration;
  /** Passed by Converse to the model as they are: only what the model's own API takes. */
  additionalModelRequestFields: JsonObject;
  requestMetadata: Record<string, string>;
  /** Structured outputs: the answer's JSON schema. */
  outputConfig?: OutputConfig;
}

type Fields = PreparedMessagesRequest & { mcp_servers?: unknown };
type Field = keyof Fields;
/** Each field's value once it is known to be there. */
type Present = { [K in Field]-?: Exclude<Fields[K], undefined | null> };

interface FieldRule<V> {
  /** What the field becomes, as a reader looks it up. */
  becomes: string;
  /** Puts the client's value in place; a row without one leaves the field to its own file. */
  place?(value: V, parts: FieldParts, ctx: ConversionContext, field: string): void;
}

const converseFields: { [K in Field]: FieldRule<Present[K]> } = {
  model: { becomes: "modelId: the resolved Bedrock id (upstream.ts)" },
  stream: { becomes: "the operation: ConverseStream or Converse (upstream.ts)" },
  messages: { becomes: "messages (messages.ts, content.ts)" },
  system: { becomes: "system (system.ts)" },
  tools: { becomes: "toolConfig.tools (tools.ts)" },
  tool_choice: { becomes: "toolConfig.toolChoice; none: no toolConfig, the history's tool blocks as text (tools.ts)" },
  max_tokens: inference("maxTokens", (value) => value),
  temperature: inference("temperature", (value) => value),
  top_p: inference("topP", (value) => value),
  stop_sequences: inference("stopSequences", nonEmptyStopSequences),
  thinking: { becomes: "Claude: additionalModelRequestFields.thinking; other reasoning models: their own fields (src/bedrock/reasoning.ts)", place: placeThinking },
  top_k: claudeOnly(modelField("top_k", (value) => value)),
  output_format: { becomes: "nothing here: prepareRequest folds the beta's form into output_config.format" },
  output_config: {
    becomes: "format: outputConfig.textFormat (the JSON schema as a string); effort: additionalModelRequestFields.output_config (Claude only)",
    place: placeOutputConfig,
  },
  context_management: claudeOnly(modelField("context_management", withContextBeta)),
  metadata: { becomes: "requestMetadata.user_id, cleaned to Bedrock's characters", place: placeUserId },
  service_tier: dropped("Anthropic's tiers have no Converse counterpart (the key's Bedrock tier goes as serviceTier)"),
  container: dropped("Converse has no code-execution container"),
  thread: dropped("the proxy keeps no message threads; a continuation was refused before (src/bedrock/threads.ts)"),
  mcp_servers: { becomes: "a 400: Bedrock does not connect to MCP servers", place: refuseMcpServers },
};

/** The table applied to a prepared request. */
export function toFieldParts(request: PreparedMessagesRequest, ctx: ConversionContext): FieldParts {
  const parts: FieldParts = { inferenceConfig: {}, additionalModelRequestFields: {}, requestMetadata: {} };
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null) continue;
    if (isField(field)) placeField(field, value, parts, ctx);
    else ctx.debug(`${field} dropped: Converse has no counterpart`);
  }
  return parts;
}

function isField(name: string): name is Field {
  return Object.hasOwn(converseFields, name);
}

function placeField<K extends Field>(field: K, value: unknown, parts: FieldParts, ctx: ConversionContext): void {
  const rule: FieldRule<Present[K]> = converseFields[field];
  // The value under a field's own name is that field's value, as the request's schema admitted it.
  rule.place?.(value as Present[K], parts, ctx, field);
}

function inference<K extends keyof InferenceConfiguration, V>(key: K, value: (client: V, ctx: ConversionContext) => InferenceConfiguration[K]): FieldRule<V> {
  return {
    becomes: `inferenceConfig.${key}`,
    place(client, parts, ctx) {
      const placed = value(client, ctx);
      if (placed !== undefined) parts.inferenceConfig[key] = placed;
    },
  };
}

function modelField<V>(key: string, value: (client: V, ctx: ConversionContext) => JsonDocument | undefined): FieldRule<V> {
  return {
    becomes: `additionalModelRequestFields.${key}`,
    place(client, parts, ctx) {
      const placed = value(client, ctx);
      if (placed !== undefined) parts.additionalModelRequestFields[key] = placed;
    },
  };
}

/** Claude's own fields; other Converse models refuse unknown fields, so they get a note instead. */
function claudeOnly<V>(rule: FieldRule<V>): FieldRule<V> {
  return {
    becomes: `${rule.becomes} (Claude only)`,
    place(client, parts, ctx, field) {
      if (ctx.anthropic) rule.place?.(client, parts, ctx, field);
      else ctx.debug(`${field} dropped: model ${ctx.model.requested} does not take it through Converse`);
    },
  };
}

function dropped<V>(why: string): FieldRule<V> {
  return { becomes: `nothing: ${why}`, place: (_value, _parts, ctx, field) => ctx.debug(`${field} dropped: ${why}`) };
}

function nonEmptyStopSequences(sequences: string[], ctx: ConversionContext): string[] | undefined {
  const kept = sequences.filter((sequence) => sequence.length > 0);
  if (kept.length < sequences.length) ctx.debug("empty stop sequences dropped");
  return kept.length > 0 ? kept : undefined;
}

/**
 * prepareRequest has fitted thinking to the model: what is left is what the model takes. Claude takes
 * Anthropic's own field; every other reasoning model the fields its profile names.
 */
function placeThinking(thinking: NonNullable<MessagesRequest["thinking"]>, parts: FieldParts, ctx: ConversionContext): void {
  const { reasoning } = ctx.model.profile;
  if (!reasoning) {
    const field = claudeThinking(thinking);
    if (field !== undefined) parts.additionalModelRequestFields["thinking"] = field;
    return;
  }
  const fields = reasoningFields(reasoning, thinking);
  if (fields) Object.assign(parts.additionalModelRequestFields, fields);
  else ctx.debug(`thinking (${thinking.type}) not sent: model ${ctx.model.requested} takes no reasoning setting`);
}

function claudeThinking(thinking: NonNullable<MessagesRequest["thinking"]>): JsonDocument | undefined {
  if (thinking.type === "enabled") return { type: "enabled", budget_tokens: thinking.budget_tokens };
  return thinking.type === "adaptive" ? { type: "adaptive" } : undefined;
}

/**
 * prepareRequest keeps effort only where the model takes it, and a format only where the model has
 * structured outputs (it has folded the beta's `output_format` into `output_config.format`).
 */
function placeOutputConfig(config: NonNullable<MessagesRequest["output_config"]>, parts: FieldParts, ctx: ConversionContext, field: string): void {
  if (config.format) parts.outputConfig = { textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(config.format.schema) } } } };
  if (config.effort !== undefined) effortField.place?.(config.effort, parts, ctx, `${field}.effort`);
}

const effortField = claudeOnly(modelField("output_config", (effort: string) => ({ effort })));

function withContextBeta(management: NonNullable<MessagesRequest["context_management"]>, ctx: ConversionContext): JsonDocument | undefined {
  if (ctx.betas.some((beta) => beta.startsWith("context-management-"))) return toJsonObject(management);
  ctx.debug("context_management dropped: its beta was not forwarded");
  return undefined;
}

const requestMetadataLimit = 256;
/** Characters Bedrock allows in a requestMetadata value. */
const requestMetadataIllegal = /[^a-zA-Z0-9\s:_@$#=/+,.-]/g;

/**
 * `metadata.user_id` tags Bedrock's invocation logs. Bedrock allows only a narrow character set and
 * 256 characters, and Claude Code sends a JSON string, so the value is cleaned.
 */
function placeUserId(metadata: NonNullable<MessagesRequest["metadata"]>, parts: FieldParts, ctx: ConversionContext): void {
  const userId = metadata.user_id;
  if (!userId) return;
  const value = userId.replace(requestMetadataIllegal, "").slice(0, requestMetadataLimit);
  if (value !== userId) ctx.debug("metadata.user_id cleaned to fit Bedrock's requestMetadata rules");
  if (value) parts.requestMetadata["user_id"] = value;
}

function refuseMcpServers(servers: unknown, _parts: FieldParts, ctx: ConversionContext): void {
  if (Array.isArray(servers) && servers.length > 0) throw unsupported(ctx.model, "`mcp_servers`");
}

/** Claude's betas and its matched stop sequence travel outside the body's fields (Claude only, as above). */
export function claudeExtras(ctx: ConversionContext): { additionalModelRequestFields?: JsonObject; additionalModelResponseFieldPaths?: string[] } {
  if (!ctx.anthropic) {
    if (ctx.betas.length > 0) ctx.debug(`anthropic-beta ${ctx.betas.join(",")} dropped: model ${ctx.model.requested} is not Anthropic's`);
    return {};
  }
  // Claude reports which stop sequence matched; Converse returns it only when asked by path.
  return { ...(ctx.betas.length > 0 ? { additionalModelRequestFields: { anthropic_beta: [...ctx.betas] } } : {}), additionalModelResponseFieldPaths: ["/stop_sequence"] };
}
