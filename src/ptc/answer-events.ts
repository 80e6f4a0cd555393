import { emptyUsage, type ContentBlock, type StopReason, type ToolUseBlock, type Usage } from "../anthropic/messages.ts";
import type { StreamChunk } from "../bedrock/upstream.ts";
import type { CodeOutcome } from "./code-result.ts";
import { newServerToolUseId } from "./ids.ts";
import type { PtcPlan } from "./plan.ts";

/**
 * One PTC answer's stream, over every model call of the loop (docs/ptc.md, "The loop"). The client
 * sees one message: one message_start, content blocks numbered across model calls, one final
 * message_delta (stop reason, container, usage summed over every call) and message_stop. Each model
 * call's own message events are swallowed; its code tool_use is shown as a `server_tool_use`
 * (srvtoolu id, its input_json_delta passed on), its direct tool_use gets `caller: {type: "direct"}`.
 * What the proxy adds (code results, the code's client tool calls) goes out as whole blocks.
 */

export type Caller = { type: "direct" } | { type: PtcPlan["codeTool"]["version"]; tool_id: string };
export interface ServerToolUseBlock {
  type: "server_tool_use";
  id: string;
  name: string;
  input: unknown;
}
export interface CodeExecutionToolResultBlock {
  type: "code_execution_tool_result";
  tool_use_id: string;
  content: CodeOutcome;
}
export type CallerToolUseBlock = ToolUseBlock & { caller: Caller };
export type PtcContentBlock = Exclude<ContentBlock, ToolUseBlock> | CallerToolUseBlock | ServerToolUseBlock | CodeExecutionToolResultBlock;
/** BetaContainer: where the code ran, and until when it may be resumed. */
export interface Container {
  id: string;
  expires_at: string;
  skills: null;
}

/** A code tool call of the model's turn; `code` is undefined when the model's input held no string `code`. */
export interface CodeCall {
  serverToolUseId: string;
  code: string | undefined;
}
/** What one model call asked for, once its stream is over. */
export interface ModelTurn {
  stopReason: StopReason | null;
  codeCalls: CodeCall[];
  /** The turn called client tools directly. */
  directCalls: boolean;
}
/** A client tool call made by code, as the client sees it. */
export interface CodeToolCall {
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
}

interface OpenBlock {
  index: number;
  /** Set for the code tool's call: its srvtoolu id and the input JSON gathered from its deltas. */
  code?: { id: string; json: string; input: unknown };
}

interface ModelEvent {
  type: string;
  index?: number;
  content_block?: { type: string; name?: string; input?: unknown } & Record<string, unknown>;
  delta?: { type?: string; partial_json?: string; stop_reason?: StopReason | null };
  message?: { usage?: Usage };
}

export class AnswerEvents {
  private started = false;
  private nextIndex = 0;
  private blocks = new Map<number, OpenBlock>();
  private turn: ModelTurn = emptyTurn();
  private summed: Usage = emptyUsage();

  constructor(private readonly init: { messageId: string; model: string; codeTool: PtcPlan["codeTool"] }) {}

  /** The answer's message_start, when no model call has begun it (a resumed answer begins with code). */
  begin(): StreamChunk[] {
    return this.start(undefined);
  }

  /** One event of the current model call, as the client's events (none for the ones swallowed). */
  fromModel(chunk: StreamChunk): StreamChunk[] {
    const event = JSON.parse(chunk.data) as ModelEvent;
    switch (event.type) {
      case "message_start":
        return this.start(event.message?.usage);
      case "content_block_start":
        return [this.blockStart(event)];
      case "content_block_delta":
        return [this.blockDelta(event)];
      case "content_block_stop":
        return [this.blockStop(event)];
      case "message_delta":
        this.turn.stopReason = event.delta?.stop_reason ?? null;
        return [];
      case "message_stop":
      case "ping":
        return [];
      default:
        return [chunk];
    }
  }

  /** Ends the current model call: what it asked for; its usage joins the answer's sum. */
  endModelCall(usage: Usage): ModelTurn {
    this.summed = addUsage(this.summed, usage);
    const turn = this.turn;
    this.turn = emptyTurn();
    this.blocks.clear();
    return turn;
  }

  /** A code call's result, as one whole block. */
  codeResult(serverToolUseId: string, outcome: CodeOutcome): StreamChunk[] {
    return this.wholeBlock({ type: "code_execution_tool_result", tool_use_id: serverToolUseId, content: outcome });
  }

  /** The client tool calls paused code waits for, as whole tool_use blocks naming the code call. */
  toolCalls(serverToolUseId: string, calls: readonly CodeToolCall[]): StreamChunk[] {
    const caller: Caller = { type: this.init.codeTool.version, tool_id: serverToolUseId };
    return calls.flatMap((call) => this.wholeBlock({ type: "tool_use", id: call.toolUseId, name: call.name, input: call.input, caller }));
  }

  /** The answer's end: message_delta (stop reason, container, summed usage), message_stop. */
  finish(stopReason: StopReason | null, container: Container | null): StreamChunk[] {
    return [
      ...this.begin(),
      chunk({ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null, container }, usage: this.summed }),
      chunk({ type: "message_stop" }),
    ];
  }

  usage(): Usage {
    return this.summed;
  }

  private start(usage: Usage | undefined): StreamChunk[] {
    if (this.started) return [];
    this.started = true;
    const { messageId: id, model } = this.init;
    const message = { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...emptyUsage(), ...usage } };
    return [chunk({ type: "message_start", message })];
  }

  private blockStart(event: ModelEvent): StreamChunk {
    const index = this.nextIndex++;
    const block = event.content_block ?? { type: "text" };
    const open: OpenBlock = { index };
    this.blocks.set(event.index ?? 0, open);
    if (block.type !== "tool_use") return chunk({ ...event, index, content_block: block });
    if (block.name !== this.init.codeTool.name) {
      this.turn.directCalls = true;
      return chunk({ ...event, index, content_block: { ...block, caller: { type: "direct" } } });
    }
    open.code = { id: newServerToolUseId(), json: "", input: block.input };
    return chunk({ ...event, index, content_block: { type: "server_tool_use", id: open.code.id, name: block.name, input: block.input ?? {} } });
  }

  private blockDelta(event: ModelEvent): StreamChunk {
    const open = this.open(event);
    if (open.code && event.delta?.type === "input_json_delta") open.code.json += event.delta.partial_json ?? "";
    return chunk({ ...event, index: open.index });
  }

  private blockStop(event: ModelEvent): StreamChunk {
    const open = this.open(event);
    if (open.code) this.turn.codeCalls.push({ serverToolUseId: open.code.id, code: codeOf(open.code.json ? parseJson(open.code.json) : open.code.input) });
    return chunk({ ...event, index: open.index });
  }

  private open(event: ModelEvent): OpenBlock {
    const open = this.blocks.get(event.index ?? 0);
    if (!open) throw new Error(`model event for block ${event.index} before its start`);
    return open;
  }

  private wholeBlock(block: PtcContentBlock): StreamChunk[] {
    const index = this.nextIndex++;
    return [...this.begin(), chunk({ type: "content_block_start", index, content_block: block }), chunk({ type: "content_block_stop", index })];
  }
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
    cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
  };
}

const emptyTurn = (): ModelTurn => ({ stopReason: null, codeCalls: [], directCalls: false });

function chunk(event: { type: string } & Record<string, unknown>): StreamChunk {
  return { type: event.type, data: JSON.stringify(event) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function codeOf(input: unknown): string | undefined {
  const code = typeof input === "object" && input !== null ? (input as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}
