import {
  InternalServerException,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ContentBlockDeltaEvent,
  type ContentBlockStartEvent,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { ApiError } from "../../../anthropic/errors.ts";
import type { ContentBlock, ContentBlockDelta, StopReason, StreamEvent, Usage } from "../../../anthropic/messages.ts";
import { toAnthropicCitation } from "./citations.ts";
import { dataFromRedactedContent } from "../redacted-thinking.ts";
import { toStopReason, toStopSequence } from "./stop-reason.ts";
import type { ToolNameMap } from "../tool-names.ts";
import { fromBedrockUsage } from "./usage.ts";

export interface ConverseStreamInit {
  messageId: string;
  /** The client's model name, echoed back. */
  model: string;
  /** Sent as message_start's input_tokens: Bedrock counts only in the final metadata event. */
  inputTokensEstimate: number;
  toolNames: ToolNameMap;
  stopSequences?: readonly string[] | undefined;
}

type BlockKind = "text" | "thinking" | "tool_use" | "redacted_thinking";

/** A Bedrock content block in flight, keyed by its contentBlockIndex. */
interface OpenBlock {
  kind: BlockKind;
  /** Its Anthropic index, set when its content_block_start is emitted. */
  index: number | undefined;
  /** Redacted reasoning, held until the block ends so that it goes out whole in its start event. */
  redacted: Uint8Array[];
}

/**
 * One ConverseStream turned into Anthropic stream events, one instance per request.
 *
 * Bedrock and Anthropic order the same things differently, and this class holds what bridges them:
 * - Bedrock announces only toolUse blocks (contentBlockStart); text and reasoning blocks begin with
 *   their first delta, so their content_block_start is emitted then
 *   (docs/bedrock-protocol.md#p9-block-start). Blocks are keyed by Bedrock's contentBlockIndex and
 *   renumbered contiguously in the order they start.
 * - Bedrock sends the stop reason (messageStop) BEFORE the usage (metadata), while Anthropic puts both
 *   in message_delta; so message_delta and message_stop wait until both have arrived
 *   (docs/bedrock-protocol.md#p11-usage-last), or until the upstream ends.
 * - message_start carries an input-token estimate, never nothing
 *   (docs/bedrock-protocol.md#p10-message-start-usage).
 */
export class ConverseStreamTranslator {
  readonly #init: ConverseStreamInit;
  readonly #blocks = new Map<number, OpenBlock>();
  #nextIndex = 0;
  #started = false;
  #finished = false;
  #stopSeen = false;
  #usageSeen = false;
  #stopReason: StopReason | null = null;
  #stopSequence: string | null = null;
  #usage: Usage;

  constructor(init: ConverseStreamInit) {
    this.#init = init;
    this.#usage = { input_tokens: init.inputTokensEstimate, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  }

  /** The usage so far: the estimate until Bedrock's metadata arrives, then Bedrock's numbers. */
  get usage(): Usage {
    return { ...this.#usage };
  }

  get stopReason(): StopReason | null {
    return this.#stopReason;
  }

  get stopSequence(): string | null {
    return this.#stopSequence;
  }

  start(): StreamEvent[] {
    if (this.#started) return [];
    this.#started = true;
    const { messageId, model } = this.#init;
    return [
      {
        type: "message_start",
        message: { id: messageId, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: this.usage },
      },
    ];
  }

  /** The Anthropic events one upstream event gives. Exception events are thrown, as the SDK would. */
  push(event: ConverseStreamOutput): StreamEvent[] {
    const events = this.start();
    if (this.#finished) return events;
    throwIfException(event);
    if (event.contentBlockStart) events.push(...this.#startBlock(event.contentBlockStart));
    else if (event.contentBlockDelta) events.push(...this.#delta(event.contentBlockDelta));
    else if (event.contentBlockStop) events.push(...this.#closeBlock(event.contentBlockStop.contentBlockIndex ?? 0));
    else if (event.messageStop) {
      events.push(...this.#closeAll());
      this.#stopSeen = true;
      this.#stopReason = toStopReason(event.messageStop.stopReason);
      this.#stopSequence = toStopSequence(event.messageStop.stopReason, event.messageStop.additionalModelResponseFields, this.#init.stopSequences);
      if (this.#usageSeen) events.push(...this.#finish());
    } else if (event.metadata) {
      events.push(...this.#closeAll());
      this.#usageSeen = true;
      if (event.metadata.usage) this.#usage = fromBedrockUsage(event.metadata.usage, this.#init.inputTokensEstimate);
      if (this.#stopSeen) events.push(...this.#finish());
    }
    return events;
  }

  /** The upstream ended cleanly: whatever is still open is closed and the message finished. */
  end(): StreamEvent[] {
    const events = this.start();
    if (this.#finished) return events;
    // A stream cut before messageStop is not a finished answer: the client must not mistake it for one.
    if (!this.#stopSeen) throw new ApiError("api_error", "Bedrock ended the stream before the message was complete");
    // messageStop without the metadata that follows it: the answer is whole, only its usage is estimated.
    events.push(...this.#finish());
    return events;
  }

  #finish(): StreamEvent[] {
    const events = this.#closeAll();
    this.#finished = true;
    events.push(
      { type: "message_delta", delta: { stop_reason: this.#stopReason, stop_sequence: this.#stopSequence }, usage: this.usage },
      { type: "message_stop" },
    );
    return events;
  }

  #startBlock({ contentBlockIndex, start }: ContentBlockStartEvent): StreamEvent[] {
    const toolUse = start?.toolUse;
    const bedrockIndex = contentBlockIndex ?? 0;
    if (!toolUse || this.#blocks.has(bedrockIndex)) return [];
    const block: OpenBlock = { kind: "tool_use", index: undefined, redacted: [] };
    this.#blocks.set(bedrockIndex, block);
    return this.#emitStart(block, {
      type: "tool_use",
      id: toolUse.toolUseId ?? "",
      name: this.#init.toolNames.toClient(toolUse.name ?? ""),
      input: {},
    });
  }

  #delta({ contentBlockIndex, delta }: ContentBlockDeltaEvent): StreamEvent[] {
    const bedrockIndex = contentBlockIndex ?? 0;
    // Empty fragments (an empty text before a signature, a first "" tool input) carry nothing.
    if (delta?.text) return this.#emitDelta(bedrockIndex, "text", { type: "text_delta", text: delta.text });
    if (delta?.citation) {
      const citation = toAnthropicCitation(delta.citation);
      return citation ? this.#emitDelta(bedrockIndex, "text", { type: "citations_delta", citation }) : [];
    }
    if (delta?.toolUse) {
      const block = this.#blocks.get(bedrockIndex);
      // Input for a tool whose start never came has no id or name to hang on: dropped.
      if (!delta.toolUse.input || block?.kind !== "tool_use" || block.index === undefined) return [];
      return [{ type: "content_block_delta", index: block.index, delta: { type: "input_json_delta", partial_json: delta.toolUse.input } }];
    }
    const reasoning = delta?.reasoningContent;
    if (reasoning?.text) return this.#emitDelta(bedrockIndex, "thinking", { type: "thinking_delta", thinking: reasoning.text });
    if (reasoning?.signature) return this.#emitDelta(bedrockIndex, "thinking", { type: "signature_delta", signature: reasoning.signature });
    if (reasoning?.redactedContent) this.#blockOfKind(bedrockIndex, "redacted_thinking")?.redacted.push(reasoning.redactedContent);
    return [];
  }

  /** A delta for a text or thinking block, starting the block first when this is its first delta. */
  #emitDelta(bedrockIndex: number, kind: "text" | "thinking", delta: ContentBlockDelta): StreamEvent[] {
    const block = this.#blockOfKind(bedrockIndex, kind);
    if (!block) return [];
    const events =
      block.index === undefined
        ? this.#emitStart(block, kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" })
        : [];
    if (block.index !== undefined) events.push({ type: "content_block_delta", index: block.index, delta });
    return events;
  }

  /** The open block at this index, opened now if new; undefined when the delta does not fit the block. */
  #blockOfKind(bedrockIndex: number, kind: BlockKind): OpenBlock | undefined {
    const open = this.#blocks.get(bedrockIndex);
    if (open) return open.kind === kind ? open : undefined;
    const block: OpenBlock = { kind, index: undefined, redacted: [] };
    this.#blocks.set(bedrockIndex, block);
    return block;
  }

  #emitStart(block: OpenBlock, content_block: ContentBlock): StreamEvent[] {
    block.index = this.#nextIndex++;
    return [{ type: "content_block_start", index: block.index, content_block }];
  }

  #closeBlock(bedrockIndex: number): StreamEvent[] {
    const block = this.#blocks.get(bedrockIndex);
    if (!block) return [];
    this.#blocks.delete(bedrockIndex);
    if (block.kind === "redacted_thinking" && block.redacted.length > 0) {
      const events = this.#emitStart(block, { type: "redacted_thinking", data: dataFromRedactedContent(concat(block.redacted)) });
      events.push({ type: "content_block_stop", index: block.index ?? 0 });
      return events;
    }
    return block.index === undefined ? [] : [{ type: "content_block_stop", index: block.index }];
  }

  #closeAll(): StreamEvent[] {
    return [...this.#blocks.keys()].flatMap((bedrockIndex) => this.#closeBlock(bedrockIndex));
  }
}

/** The exception members of the stream union, as the SDK's own error classes the proxy already maps. */
function throwIfException(event: ConverseStreamOutput): void {
  const failure =
    (event.internalServerException && asError(event.internalServerException, InternalServerException)) ||
    (event.modelStreamErrorException && asError(event.modelStreamErrorException, ModelStreamErrorException)) ||
    (event.validationException && asError(event.validationException, ValidationException)) ||
    (event.throttlingException && asError(event.throttlingException, ThrottlingException)) ||
    (event.serviceUnavailableException && asError(event.serviceUnavailableException, ServiceUnavailableException));
  if (failure) throw failure;
}

type ExceptionClass = new (options: { $metadata: object; message: string }) => Error;

function asError(value: { message?: string | undefined }, Exception: ExceptionClass): Error {
  return value instanceof Error ? value : new Exception({ $metadata: {}, message: value.message ?? Exception.name });
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
