import { invalidRequest } from "../anthropic/errors.ts";
import type { Config } from "../config.ts";
import { ownEntry } from "../own-entry.ts";
import { isDotSegment } from "./model-id.ts";
import { type ReasoningProfile, reasoningProfileFor } from "./reasoning.ts";

/**
 * Which Bedrock model a request goes to, and what that model can take.
 * The route (native InvokeModel vs Converse) is chosen on the resolved Bedrock id, never on the client's name.
 */

export type Route = "invoke" | "converse";
export type ClaudeFamily = "opus" | "sonnet" | "haiku";

export interface ModelProfile {
  /** Largest `max_tokens` the model accepts; requests above it are clamped. */
  maxOutputTokens: number | undefined;
  /** Takes `thinking: {type: "adaptive"}` as is; otherwise adaptive becomes a budget. */
  adaptiveThinking: boolean;
  /** Takes `thinking` (budget form) at all. */
  thinking: boolean;
  /** Takes `cachePoint` blocks on Converse / `cache_control` on Invoke. */
  promptCaching: boolean;
  /** Takes `output_config.effort`. */
  effort: boolean;
  /** Serves Bedrock CountTokens. */
  countTokens: boolean;
  /** A model other than Claude that reasons: how `thinking` reaches it and how its reasoning is replayed. */
  reasoning: ReasoningProfile | undefined;
  /**
   * Takes structured outputs: a JSON schema for the answer (InvokeModel `output_config.format`, Converse
   * `outputConfig.textFormat`) and strict tools. Source: the Bedrock user guide, "Get validated JSON results
   * from models" and "Structured outputs for Anthropic Claude models" (GA February 2026: Claude Sonnet 4.5,
   * Haiku 4.5, Opus 4.5, Opus 4.6; Anthropic's page adds Sonnet 4.6). Other Converse models are left to
   * Bedrock, which refuses the field itself for a model without it.
   */
  structuredOutputs: boolean;
}

export interface ResolvedModel {
  /** The name the client sent. */
  requested: string;
  /** The Bedrock model id or inference profile the request goes to. */
  modelId: string;
  route: Route;
  profile: ModelProfile;
}

/** Anthropic model names (dated and undated) → the Bedrock inference profile that serves them. */
const builtInAliases: Record<string, string> = {
  "claude-opus-4-6": "global.anthropic.claude-opus-4-6-v1",
  "claude-opus-4-5": "global.anthropic.claude-opus-4-5-20251101-v1:0",
  "claude-opus-4-5-20251101": "global.anthropic.claude-opus-4-5-20251101-v1:0",
  "claude-opus-4-1": "us.anthropic.claude-opus-4-1-20250805-v1:0",
  "claude-opus-4-1-20250805": "us.anthropic.claude-opus-4-1-20250805-v1:0",
  "claude-opus-4-0": "us.anthropic.claude-opus-4-20250514-v1:0",
  "claude-opus-4-20250514": "us.anthropic.claude-opus-4-20250514-v1:0",
  "claude-sonnet-4-6": "global.anthropic.claude-sonnet-4-6",
  "claude-sonnet-4-5": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "claude-sonnet-4-5-20250929": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "claude-sonnet-4-0": "global.anthropic.claude-sonnet-4-20250514-v1:0",
  "claude-sonnet-4-20250514": "global.anthropic.claude-sonnet-4-20250514-v1:0",
  "claude-3-7-sonnet-20250219": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  "claude-3-7-sonnet-latest": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  "claude-haiku-4-5": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
  "claude-haiku-4-5-20251001": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
  "claude-3-5-haiku-20241022": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
  "claude-3-5-haiku-latest": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
};

export type FamilyDefaults = Record<ClaudeFamily, string>;

export interface ModelResolver {
  /** `keyAliases`: the calling key's own aliases, which come before every other table. */
  resolve(requested: string, keyAliases?: Readonly<Record<string, string>>): ResolvedModel;
  /** Every alias the proxy answers to, with its target (for GET /v1/models). */
  aliases(): ReadonlyMap<string, string>;
  /** The aliases operators keep in the store (admin API); they override MODEL_MAP and the built-ins. */
  setStoredAliases(aliases: Readonly<Record<string, string>>): void;
}

export function familyDefaults(config: Config): FamilyDefaults {
  return { opus: config.DEFAULT_OPUS_MODEL, sonnet: config.DEFAULT_SONNET_MODEL, haiku: config.DEFAULT_HAIKU_MODEL };
}

/**
 * Order: the calling key's aliases, the aliases kept in the store, the operator's MODEL_MAP, the
 * built-in table, the bare family names, any other `claude-{family}-…` name (newer than this table)
 * to its family default, else a Bedrock id as is.
 */
export function createModelResolver(modelMap: Record<string, string> = {}, defaults: FamilyDefaults): ModelResolver {
  const configured: [string, string][] = [...Object.entries(builtInAliases), ...(Object.entries(defaults) as [ClaudeFamily, string][]), ...Object.entries(modelMap)];
  let table = new Map(configured);
  // Clients send a handful of names over and over; each is resolved once (the cache is bounded).
  const resolved = new Map<string, ResolvedModel>();
  const toModel = (requested: string, modelId: string): ResolvedModel => {
    if (isDotSegment(modelId)) throw invalidRequest(`model: ${modelId} is not a Bedrock model id`);
    return { requested, modelId, route: routeFor(modelId), profile: profileFor(modelId) };
  };
  return {
    resolve(requested, keyAliases) {
      const own = keyAliases && (ownEntry(keyAliases, requested) ?? ownEntry(keyAliases, stripContextSuffix(requested)));
      if (own) return toModel(requested, own);
      let model = resolved.get(requested);
      if (!model) {
        const name = stripContextSuffix(requested);
        model = toModel(requested, table.get(name) ?? familyDefault(name, defaults) ?? name);
        if (resolved.size >= 1_000) resolved.clear();
        resolved.set(requested, model);
      }
      return model;
    },
    aliases: () => table,
    setStoredAliases(stored) {
      table = new Map([...configured, ...Object.entries(stored)]);
      resolved.clear();
    },
  };
}

/** Claude Code marks 1M-context variants as `name[1m]`; the context size travels as a beta instead. */
function stripContextSuffix(name: string): string {
  return name.replace(/\[1m\]$/i, "");
}

function familyDefault(name: string, defaults: FamilyDefaults): string | undefined {
  const family = /^claude-(?:\d+-\d+-)?(opus|sonnet|haiku)(?:-|$)/.exec(name)?.[1] as ClaudeFamily | undefined;
  return family && defaults[family];
}

/** Anthropic's own models (foundation ids, inference profiles and ARNs of either) take the native path. */
export function routeFor(modelId: string): Route {
  return /(^|[./])anthropic\.claude/.test(modelId) ? "invoke" : "converse";
}

interface ProfileRule {
  pattern: RegExp;
  profile: Partial<ModelProfile>;
}

const claudeBase: ModelProfile = {
  maxOutputTokens: 64_000,
  adaptiveThinking: false,
  thinking: true,
  promptCaching: true,
  effort: false,
  countTokens: true,
  reasoning: undefined,
  structuredOutputs: false,
};

const otherBase: ModelProfile = {
  maxOutputTokens: undefined,
  adaptiveThinking: false,
  thinking: false,
  promptCaching: false,
  effort: false,
  countTokens: false,
  reasoning: undefined,
  structuredOutputs: true,
};

/** First match wins; the figures are Bedrock's published limits for each model. */
const profileRules: ProfileRule[] = [
  { pattern: /claude-opus-4-[6-9]|claude-opus-[5-9]/, profile: { maxOutputTokens: 128_000, adaptiveThinking: true, effort: true, structuredOutputs: true } },
  { pattern: /claude-sonnet-4-[6-9]|claude-sonnet-[5-9]/, profile: { maxOutputTokens: 64_000, adaptiveThinking: true, effort: true, structuredOutputs: true } },
  { pattern: /claude-opus-4-5/, profile: { maxOutputTokens: 64_000, effort: true, structuredOutputs: true } },
  { pattern: /claude-(sonnet|haiku)-4-5/, profile: { structuredOutputs: true } },
  { pattern: /claude-opus-4/, profile: { maxOutputTokens: 32_000 } },
  { pattern: /claude-3-7-sonnet/, profile: { maxOutputTokens: 64_000 } },
  { pattern: /claude-3-5-haiku|claude-3-haiku/, profile: { maxOutputTokens: 8_192, thinking: false } },
  { pattern: /claude-3/, profile: { maxOutputTokens: 8_192, thinking: false, countTokens: false } },
  { pattern: /anthropic\.claude/, profile: {} },
  { pattern: /amazon\.nova-premier/, profile: { maxOutputTokens: 32_000, promptCaching: true } },
  { pattern: /amazon\.nova/, profile: { maxOutputTokens: 10_000, promptCaching: true } },
  { pattern: /qwen\.qwen3/, profile: { maxOutputTokens: 65_536 } },
  { pattern: /deepseek\.r1/, profile: { maxOutputTokens: 32_768 } },
  { pattern: /deepseek\./, profile: { maxOutputTokens: 65_536 } },
  { pattern: /moonshot|kimi/, profile: { maxOutputTokens: 65_536 } },
  { pattern: /minimax/, profile: { maxOutputTokens: 65_536 } },
];

export function profileFor(modelId: string): ModelProfile {
  const base = routeFor(modelId) === "invoke" ? claudeBase : otherBase;
  const rule = profileRules.find((r) => r.pattern.test(modelId));
  return { ...base, ...rule?.profile, reasoning: reasoningProfileFor(modelId) };
}
