import { ApiError, invalidRequest } from "../anthropic/errors.ts";
import type { ContentBlockParam, MessagesRequest, ToolResultBlockParam } from "../anthropic/schema.ts";
import type { ContainerRecord, ContainerStore, PausedExecution } from "./containers/container-store.ts";
import { containerOfToolUseId } from "./ids.ts";

/**
 * What a request names of an earlier answer: its container, and when that container's code is paused,
 * the client's results for the tool calls it waits for (docs/ptc.md, "Resume"). Checked before the
 * request is admitted, so a wrong one costs nothing.
 */

export interface ToolResultForCode {
  call_id: string;
  content: unknown;
  is_error?: boolean;
}

export interface NamedContainer {
  record: ContainerRecord;
  /** Set when the container's code is paused: the results to post to it. */
  resume?: {
    paused: PausedExecution;
    results: ToolResultForCode[];
    /** The results for the paused turn's direct calls came too: once its code is done, the model goes on. */
    directCallsAnswered: boolean;
  };
}

/**
 * The container the request names, checked against its owner; undefined when it names none. A request
 * that answers calls made by code without naming the container (the SDK's tool runners send none)
 * names the one those calls' ids carry.
 */
export async function namedContainer(request: MessagesRequest, owner: string, containers: ContainerStore): Promise<NamedContainer | undefined> {
  const fromCode = codeCallResults(request);
  const id = containerId(request.container) ?? fromCode.map(containerOfToolUseId).find((named) => named !== undefined);
  if (id === undefined) {
    if (fromCode.length > 0) throw invalidRequest("tool_result blocks answer tool calls made by code: name their container in `container`");
    return undefined;
  }
  const record = await containers.get(id);
  // Another key's container is answered as one that does not exist: its existence is not the caller's business.
  if (!record || record.owner !== owner) throw new ApiError("not_found_error", `container ${id} not found (unknown, expired, or not this API key's)`);
  if (!record.paused) {
    if (fromCode.length > 0) throw invalidRequest(`container ${id} is not waiting for tool results (its code was resumed already): ${fromCode.join(", ")} cannot be answered again`);
    return { record };
  }
  const answered = new Set(lastUserBlocks(request).flatMap((b) => (b.type === "tool_result" ? [b.tool_use_id] : [])));
  const directCallsAnswered = directCallIds(request).every((id) => answered.has(id));
  return { record, resume: { paused: record.paused, results: resultsFor(record.paused, request), directCallsAnswered } };
}

function containerId(container: MessagesRequest["container"]): string | undefined {
  if (typeof container === "string") return container;
  return typeof container?.id === "string" ? container.id : undefined;
}

/**
 * The last user message must answer exactly the calls the code waits for (results for direct calls
 * of the same turn may come with them); anything else is a 400 naming the ids.
 */
function resultsFor(paused: PausedExecution, request: MessagesRequest): ToolResultForCode[] {
  const given = new Map(lastUserBlocks(request).flatMap((b) => (b.type === "tool_result" ? [[b.tool_use_id, b] as const] : [])));
  const waiting = new Set(paused.calls.map((c) => c.toolUseId));
  const direct = new Set(directCallIds(request));
  const missing = [...waiting].filter((id) => !given.has(id));
  const unexpected = [...given.keys()].filter((id) => !waiting.has(id) && !direct.has(id));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [missing.length > 0 && `missing results for ${missing.join(", ")}`, unexpected.length > 0 && `unexpected results for ${unexpected.join(", ")}`];
    throw invalidRequest(`The paused code waits for tool_result blocks for exactly ${[...waiting].join(", ")}: ${parts.filter(Boolean).join("; ")}`);
  }
  return paused.calls.map((call) => toCodeResult(call.callId, given.get(call.toolUseId) as ToolResultBlockParam));
}

/** What the code's awaited call returns: text as a string, other content as the blocks themselves. */
function toCodeResult(callId: string, block: ToolResultBlockParam): ToolResultForCode {
  const content = block.content ?? "";
  const text = typeof content === "string" ? content : content.every((b) => b.type === "text") ? content.map((b) => b.text).join("") : content;
  return block.is_error === undefined ? { call_id: callId, content: text } : { call_id: callId, content: text, is_error: block.is_error };
}

function lastUserBlocks(request: MessagesRequest): ContentBlockParam[] {
  const last = request.messages.at(-1);
  if (last?.role !== "user" || typeof last.content === "string") return [];
  return last.content;
}

/** Tool calls the model made directly in the last assistant message (no caller, or caller `direct`). */
function directCallIds(request: MessagesRequest): string[] {
  const assistant = request.messages.findLast((m) => m.role === "assistant");
  if (!assistant || typeof assistant.content === "string") return [];
  return assistant.content.flatMap((b) => (b.type === "tool_use" && callerType(b) === "direct" ? [b.id] : []));
}

/** tool_result blocks of the last user message that answer calls made by code. */
function codeCallResults(request: MessagesRequest): string[] {
  const fromCode = new Set(
    request.messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.flatMap((b) => (b.type === "tool_use" && callerType(b) !== "direct" ? [b.id] : [])))),
  );
  return lastUserBlocks(request).flatMap((b) => (b.type === "tool_result" && fromCode.has(b.tool_use_id) ? [b.tool_use_id] : []));
}

function callerType(block: ContentBlockParam): string {
  return block.type === "tool_use" ? (block.caller?.type ?? "direct") : "direct";
}
