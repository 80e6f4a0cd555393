import type { InferenceConfiguration, OutputConfig } from "@aws-sdk/client-bedrock-runtime";
import type { MessagesRequest } from "../../anthropic/schema.ts";
import type { ConversionContext } from "./context.ts";
import { toJsonObject, type JsonObject } from "./json-document.ts";

/** The sampling settings every Converse model takes. */
export function toInferenceConfig(req: MessagesRequest, ctx: ConversionContext): InferenceConfiguration {
  const config: InferenceConfiguration = { maxTokens: req.max_tokens };
  if (req.temperature !== undefined) config.temperature = req.temperature;
  if (req.top_p !== undefined) config.topP = req.top_p;
  const stopSequences = (req.stop_sequences ?? []).filter((sequence) => sequence.length > 0);
  if (stopSequences.length < (req.stop_sequences ?? []).length) ctx.debug("empty stop sequences dropped");
  if (stopSequences.length > 0) config.stopSequences = stopSequences;
  return config;
}

/**
 * Structured outputs: `output_config.format` (prepare has folded the beta's `output_format` into it) as
 * Converse's `outputConfig.textFormat`, which takes the JSON schema as a string.
 */
export function toOutputConfig(req: MessagesRequest): OutputConfig | undefined {
  const format = req.output_config?.format;
  if (!format) return undefined;
  return { textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(format.schema) } } } };
}

/**
 * Claude's native request fields, which Converse forwards to the model as they are. Other models refuse
 * unknown fields, so each goes only where the model profile says it is understood.
 */
export function toAdditionalModelRequestFields(
  req: MessagesRequest,
  betas: readonly string[],
  ctx: ConversionContext,
): JsonObject | undefined {
  const fields: JsonObject = {};
  const { profile, requested } = ctx.model;

  const thinking = req.thinking;
  if (thinking?.type === "enabled") {
    if (profile.thinking) fields["thinking"] = { type: "enabled", budget_tokens: thinking.budget_tokens };
    else ctx.debug(`thinking dropped: model ${requested} does not take it`);
  } else if (thinking?.type === "adaptive") {
    if (profile.adaptiveThinking) fields["thinking"] = { type: "adaptive" };
    else ctx.debug(`adaptive thinking dropped: model ${requested} does not take it`);
  }

  if (req.top_k !== undefined) {
    if (ctx.anthropic) fields["top_k"] = req.top_k;
    else ctx.debug(`top_k dropped: model ${requested} does not take it through Converse`);
  }

  const effort = req.output_config?.effort;
  if (effort !== undefined) {
    if (ctx.anthropic && profile.effort) fields["output_config"] = { effort };
    else ctx.debug(`output_config.effort dropped: model ${requested} does not take it`);
  }

  if (req.context_management !== undefined) {
    if (ctx.anthropic && betas.some((beta) => beta.startsWith("context-management-"))) {
      fields["context_management"] = toJsonObject(req.context_management);
    } else {
      ctx.debug(`context_management dropped: model ${requested} does not take it (or its beta was not forwarded)`);
    }
  }

  if (betas.length > 0) {
    if (ctx.anthropic) fields["anthropic_beta"] = [...betas];
    else ctx.debug(`anthropic-beta ${betas.join(",")} dropped: model ${requested} is not Anthropic's`);
  }

  return Object.keys(fields).length > 0 ? fields : undefined;
}

/** Claude reports which stop sequence matched; Converse returns it only when asked by path. */
export function additionalModelResponseFieldPaths(ctx: ConversionContext): string[] | undefined {
  return ctx.anthropic ? ["/stop_sequence"] : undefined;
}

const requestMetadataLimit = 256;
/** Characters Bedrock allows in a requestMetadata value. */
const requestMetadataIllegal = /[^a-zA-Z0-9\s:_@$#=/+,.-]/g;

/**
 * `metadata.user_id` as Bedrock requestMetadata (it tags invocation logs). Bedrock allows only a narrow
 * character set and 256 characters, and Claude Code sends a JSON string, so the value is cleaned.
 */
export function toRequestMetadata(req: MessagesRequest, ctx: ConversionContext): Record<string, string> | undefined {
  const userId = req.metadata?.user_id;
  if (!userId) return undefined;
  const value = userId.replace(requestMetadataIllegal, "").slice(0, requestMetadataLimit);
  if (value !== userId) ctx.debug("metadata.user_id cleaned to fit Bedrock's requestMetadata rules");
  return value ? { user_id: value } : undefined;
}
