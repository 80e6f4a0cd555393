import { estimateInputTokens } from "../anthropic/estimate.ts";
import type { ContentBlockParam, CountTokensRequest, MessageParam, MessagesRequest, SystemParam, ThinkingConfig } from "../anthropic/schema.ts";
import type { Logger } from "../../lib/log.ts";
import { assertToolsServed } from "./anthropic-tools.ts";
import { type BetaMapping, mapBetas } from "./betas.ts";
import { sendsNothing } from "./converse/request/dropped-blocks.ts";
import type { ResolvedModel } from "./models.ts";
import { effortBudgets } from "./reasoning.ts";
import { fitStructuredOutputs } from "./structured-outputs.ts";
import { refuseThreadContinuation } from "./threads.ts";

/**
 * What both upstream paths need before they convert anything: the request made fit for the
 * resolved model. What Bedrock or the model cannot take is translated or dropped (with a debug
 * log), never passed on to fail: mid-conversation system messages, adaptive thinking on a model
 * without it, a max_tokens above the model's limit, betas Bedrock does not know. What would change the
 * answer's contract (a server tool Bedrock does not run, structured outputs the model lacks) is a 400.
 * This is the one place that folds system messages and merges turns; /messages and count_tokens
 * both run it, so what is counted is what is sent.
 */

/** A turn of the prepared conversation: `role: "system"` messages are folded away. */
export type Turn = MessageParam & { role: "user" | "assistant" };
type KnownFields<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
/** The request both paths convert: the client's fields (unknown ones too), fit for the model. */
export type PreparedMessagesRequest = Omit<KnownFields<MessagesRequest>, "messages"> & { messages: Turn[] };

export interface PreparedRequest {
  request: PreparedMessagesRequest;
  model: ResolvedModel;
  betas: BetaMapping;
  /** The local estimate of the input, made once: the rate limiter reserves it, a Converse stream's message_start reports it. */
  estimatedInputTokens: number;
}

const minimumThinkingBudget = 1_024;

export function prepareRequest(request: MessagesRequest, model: ResolvedModel, betaHeader: readonly string[], log: Logger): PreparedRequest {
  const betas = model.route === "invoke" ? mapBetas(betaHeader, model.modelId) : { forwarded: [], dropped: [...betaHeader] };
  if (betas.dropped.length > 0) log.debug("betas not forwarded to Bedrock", { model: model.modelId, dropped: betas.dropped });
  assertToolsServed(request.tools, model);
  refuseThreadContinuation(request);

  const folded = foldSystemMessages(request.system, request.messages);
  const messages = mergeSameRole(withoutEmptyTurns(folded.messages, model, log));
  const system = folded.system;
  const maxTokens = clampMaxTokens(request.max_tokens, model, log);
  const thinking = fitThinking(request, maxTokens, model, log);
  const prepared: PreparedMessagesRequest = { ...fitStructuredOutputs(request, model, log), messages, max_tokens: maxTokens };
  setOrDelete(prepared, "system", system);
  setOrDelete(prepared, "thinking", thinking);
  setOrDelete(prepared, "output_config", fitOutputConfig(prepared.output_config, model, log));
  return { request: prepared, model, betas, estimatedInputTokens: estimateInputTokens(prepared) };
}

/**
 * count_tokens counts the prompt /messages would send, so it is prepared the same way, betas included.
 * It has no max_tokens: it is prepared as asking for the model's longest answer, so a thinking budget
 * is kept as /messages keeps it.
 */
export function prepareCountTokens(request: CountTokensRequest, model: ResolvedModel, betaHeader: readonly string[], log: Logger): PreparedRequest {
  const budget = request.thinking?.type === "enabled" ? request.thinking.budget_tokens : 0;
  return prepareRequest({ ...request, max_tokens: Math.max(model.profile.maxOutputTokens ?? 0, budget + 1) }, model, betaHeader, log);
}

function setOrDelete<K extends "system" | "thinking" | "output_config">(target: PreparedMessagesRequest, key: K, value: PreparedMessagesRequest[K] | undefined) {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * A `role: "system"` message (Claude Code's mid-conversation system beta) becomes part of the system
 * prompt when it leads the conversation, and otherwise a user turn that mergeSameRole joins to its
 * neighbour, so the cached prefix before it stays byte-identical.
 */
export function foldSystemMessages(system: SystemParam | undefined, messages: MessageParam[]): { system: SystemParam | undefined; messages: Turn[] } {
  let leadingSystem = system;
  const turns: Turn[] = [];
  for (const message of messages) {
    if (isTurn(message)) {
      turns.push(message);
    } else if (turns.length === 0) {
      leadingSystem = [...systemBlocks(leadingSystem), ...textBlocks(message.content)];
    } else {
      turns.push({ role: "user", content: textBlocks(message.content).map((b) => ({ ...b, text: `<system>\n${b.text}\n</system>` })) });
    }
  }
  return { system: leadingSystem, messages: turns };
}

function isTurn(message: MessageParam): message is Turn {
  return message.role !== "system";
}

/**
 * A turn holding nothing its route can send is dropped before turns are merged, so that its
 * neighbours merge (Converse drops blank text and reasoning a model cannot take, and takes no empty
 * turn). InvokeModel gets the turns as the client sent them: Claude answers for what it refuses.
 */
function withoutEmptyTurns(turns: Turn[], model: ResolvedModel, log: Logger): Turn[] {
  if (model.route === "invoke") return turns;
  return turns.filter((turn, i) => {
    if (!sendsNothing(turn, model)) return true;
    log.debug("turn dropped: nothing of it can be sent on Converse", { index: i, role: turn.role });
    return false;
  });
}

function systemBlocks(system: SystemParam | undefined) {
  if (system === undefined) return [];
  return typeof system === "string" ? [{ type: "text" as const, text: system }] : system;
}

function textBlocks(content: MessageParam["content"]) {
  const blocks: ContentBlockParam[] = typeof content === "string" ? [{ type: "text", text: content }] : content;
  return blocks.flatMap((b) => (b.type === "text" ? [b] : []));
}

/** Consecutive turns of one role become one turn, as Anthropic's API does server-side (Converse requires it). */
export function mergeSameRole(messages: Turn[]): Turn[] {
  const merged: Turn[] = [];
  for (const message of messages) {
    const previous = merged.at(-1);
    if (previous && previous.role === message.role) {
      merged[merged.length - 1] = { ...previous, content: [...asBlocks(previous.content), ...asBlocks(message.content)] };
    } else {
      merged.push(message);
    }
  }
  return merged;
}

function asBlocks(content: MessageParam["content"]): ContentBlockParam[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** The effort goes only to a model that takes it; a format was checked with the structured outputs. */
function fitOutputConfig(config: MessagesRequest["output_config"], model: ResolvedModel, log: Logger): MessagesRequest["output_config"] {
  if (!config) return undefined;
  const { effort, format, ...rest } = config;
  const fitted = { ...rest, ...(format ? { format } : {}), ...(effort !== undefined && model.profile.effort ? { effort } : {}) };
  if (effort !== undefined && !model.profile.effort) log.debug("output_config.effort dropped: the model takes no effort setting", { model: model.modelId });
  return Object.keys(fitted).length > 0 ? fitted : undefined;
}

function clampMaxTokens(requested: number, model: ResolvedModel, log: Logger): number {
  const limit = model.profile.maxOutputTokens;
  if (limit === undefined || requested <= limit) return requested;
  log.debug("max_tokens clamped to the model's limit", { model: model.modelId, requested, limit });
  return limit;
}

function fitThinking(request: MessagesRequest, maxTokens: number, model: ResolvedModel, log: Logger): ThinkingConfig | undefined {
  const thinking = request.thinking;
  if (!thinking || thinking.type === "disabled") return thinking;
  // A reasoning model other than Claude reads the budget as an effort of its own; max_tokens does not bound it.
  if (model.profile.reasoning) return thinking.type === "enabled" ? thinking : { type: "enabled", budget_tokens: adaptiveBudget(request) };
  if (!model.profile.thinking) {
    log.debug("thinking dropped: the model does not think", { model: model.modelId });
    return undefined;
  }
  if (thinking.type === "adaptive" && model.profile.adaptiveThinking) return thinking;
  const wanted = thinking.type === "enabled" ? thinking.budget_tokens : adaptiveBudget(request);
  const budget = Math.min(wanted, maxTokens - 1);
  if (budget < minimumThinkingBudget) {
    log.debug("thinking dropped: max_tokens leaves no room for a thinking budget", { model: model.modelId, maxTokens });
    return undefined;
  }
  if (thinking.type === "adaptive") log.debug("adaptive thinking given a budget", { model: model.modelId, budget });
  // What the client asked to see of the thinking holds on a budget too.
  return thinking.display === undefined ? { type: "enabled", budget_tokens: budget } : { type: "enabled", budget_tokens: budget, display: thinking.display };
}

/** The budget that stands in for adaptive thinking, by `output_config.effort`. */
function adaptiveBudget(request: MessagesRequest): number {
  return effortBudgets[request.output_config?.effort ?? "high"];
}
