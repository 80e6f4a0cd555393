import { estimateInputTokens } from "../anthropic/estimate.ts";
import type { ContentBlockParam, MessageParam, MessagesRequest, SystemParam, ThinkingConfig } from "../anthropic/schema.ts";
import type { Logger } from "../../lib/log.ts";
import { type BetaMapping, mapBetas } from "./betas.ts";
import type { ResolvedModel } from "./models.ts";

/**
 * What both upstream paths need before they convert anything: the request made fit for the
 * resolved model. What Bedrock or the model cannot take is translated or dropped (with a debug
 * log), never passed on to fail: mid-conversation system messages, adaptive thinking on a model
 * without it, a max_tokens above the model's limit, betas Bedrock does not know.
 */

export interface PreparedRequest {
  request: MessagesRequest;
  model: ResolvedModel;
  betas: BetaMapping;
  /** The local estimate of the input, made once: the rate limiter reserves it, a Converse stream's message_start reports it. */
  estimatedInputTokens: number;
}

/** Thinking budgets that stand in for adaptive thinking, by `output_config.effort`. */
const adaptiveBudgets = { low: 4_096, medium: 10_000, high: 16_000, max: 32_000 } as const;
const minimumThinkingBudget = 1_024;

export function prepareRequest(request: MessagesRequest, model: ResolvedModel, betaHeader: readonly string[], log: Logger): PreparedRequest {
  const betas = model.route === "invoke" ? mapBetas(betaHeader, model.modelId) : { forwarded: [], dropped: [...betaHeader] };
  if (betas.dropped.length > 0) log.debug("betas not forwarded to Bedrock", { model: model.modelId, dropped: betas.dropped });

  const { system, messages } = foldSystemMessages(request.system, request.messages);
  const maxTokens = clampMaxTokens(request.max_tokens, model, log);
  const thinking = fitThinking(request, maxTokens, model, log);
  const prepared: MessagesRequest = { ...request, messages, max_tokens: maxTokens };
  setOrDelete(prepared, "system", system);
  setOrDelete(prepared, "thinking", thinking);
  if (prepared.output_config && !model.profile.effort) {
    log.debug("output_config dropped: the model takes no effort setting", { model: model.modelId });
    delete prepared.output_config;
  }
  return { request: prepared, model, betas, estimatedInputTokens: estimateInputTokens(prepared) };
}

function setOrDelete<K extends "system" | "thinking">(target: MessagesRequest, key: K, value: MessagesRequest[K] | undefined) {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * A `role: "system"` message (Claude Code's mid-conversation system beta) becomes part of the system
 * prompt when it leads the conversation, and otherwise a user turn that the merge below joins to its
 * neighbour, so the cached prefix before it stays byte-identical.
 */
export function foldSystemMessages(system: SystemParam | undefined, messages: MessageParam[]): { system: SystemParam | undefined; messages: MessageParam[] } {
  if (!messages.some((m) => m.role === "system")) return { system, messages };
  let leadingSystem = system;
  const turns: MessageParam[] = [];
  for (const message of messages) {
    if (message.role !== "system") {
      turns.push(message);
    } else if (turns.length === 0) {
      leadingSystem = [...systemBlocks(leadingSystem), ...textBlocks(message.content)];
    } else {
      turns.push({ role: "user", content: textBlocks(message.content).map((b) => ({ ...b, text: `<system>\n${b.text}\n</system>` })) });
    }
  }
  return { system: leadingSystem, messages: mergeSameRole(turns) };
}

function systemBlocks(system: SystemParam | undefined) {
  if (system === undefined) return [];
  return typeof system === "string" ? [{ type: "text" as const, text: system }] : system;
}

function textBlocks(content: MessageParam["content"]) {
  const blocks: ContentBlockParam[] = typeof content === "string" ? [{ type: "text", text: content }] : content;
  return blocks.flatMap((b) => (b.type === "text" ? [b] : []));
}

/** Consecutive turns of one role become one turn, as Anthropic's API does server-side. */
export function mergeSameRole(messages: MessageParam[]): MessageParam[] {
  const merged: MessageParam[] = [];
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

/** Models cap their output below what clients ask (docs/bedrock-protocol.md#p12-max-tokens-limit). */
function clampMaxTokens(requested: number, model: ResolvedModel, log: Logger): number {
  const limit = model.profile.maxOutputTokens;
  if (limit === undefined || requested <= limit) return requested;
  log.debug("max_tokens clamped to the model's limit", { model: model.modelId, requested, limit });
  return limit;
}

function fitThinking(request: MessagesRequest, maxTokens: number, model: ResolvedModel, log: Logger): ThinkingConfig | undefined {
  const thinking = request.thinking;
  if (!thinking || thinking.type === "disabled") return thinking;
  if (!model.profile.thinking) {
    log.debug("thinking dropped: the model does not think", { model: model.modelId });
    return undefined;
  }
  if (thinking.type === "adaptive" && model.profile.adaptiveThinking) return thinking;
  const wanted = thinking.type === "enabled" ? thinking.budget_tokens : adaptiveBudgets[request.output_config?.effort ?? "high"];
  const budget = Math.min(wanted, maxTokens - 1);
  if (budget < minimumThinkingBudget) {
    log.debug("thinking dropped: max_tokens leaves no room for a thinking budget", { model: model.modelId, maxTokens });
    return undefined;
  }
  if (thinking.type === "adaptive") log.debug("adaptive thinking given a budget", { model: model.modelId, budget });
  return { type: "enabled", budget_tokens: budget };
}
