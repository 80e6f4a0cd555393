import type { StopReason, Usage } from "../anthropic/messages.ts";
import type { StreamChunk } from "../bedrock/upstream.ts";
import type { Container, PtcContentBlock } from "./answer-events.ts";

/**
 * The non-streaming PTC answer: the Message folded from the same events the stream sends, so both
 * forms say the same thing (docs/ptc.md). `container` sits at the top level, as Anthropic's does.
 */

export interface PtcMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: PtcContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
  container: Container | null;
  [field: string]: unknown;
}

type Block = PtcContentBlock & Record<string, unknown>;

interface Event {
  type: string;
  index?: number;
  message?: PtcMessage;
  content_block?: Block;
  delta?: Record<string, unknown> & { type?: string; container?: Container | null };
  usage?: Partial<Usage>;
}

export class MessageAccumulator {
  private message: PtcMessage | undefined;
  /** Input JSON gathered per block index, parsed when the block stops. */
  private json = new Map<number, string>();

  push(chunk: StreamChunk): void {
    const event = JSON.parse(chunk.data) as Event;
    switch (event.type) {
      case "message_start":
        if (event.message) this.message = { ...event.message, content: [], container: null };
        return;
      case "content_block_start":
        if (event.content_block) this.current().content[event.index ?? 0] = structuredClone(event.content_block);
        return;
      case "content_block_delta":
        return this.delta(this.block(event.index), event.index ?? 0, event.delta ?? {});
      case "content_block_stop":
        return this.stop(this.block(event.index), event.index ?? 0);
      case "message_delta":
        return this.end(event);
    }
  }

  started(): boolean {
    return this.message !== undefined;
  }

  /** The message so far: its blocks are what the loop appends to the model's conversation. */
  current(): PtcMessage {
    if (!this.message) throw new Error("message event before message_start");
    return this.message;
  }

  private block(index: number | undefined): Block {
    const block = this.current().content[index ?? 0];
    if (!block) throw new Error(`delta for block ${index} before its start`);
    return block as Block;
  }

  private delta(block: Block, index: number, delta: NonNullable<Event["delta"]>): void {
    const text = (field: string) => (typeof delta[field] === "string" ? delta[field] : "");
    switch (delta.type) {
      case "text_delta":
        block.text = `${typeof block.text === "string" ? block.text : ""}${text("text")}`;
        return;
      case "thinking_delta":
        block.thinking = `${typeof block.thinking === "string" ? block.thinking : ""}${text("thinking")}`;
        return;
      case "signature_delta":
        block.signature = text("signature");
        return;
      case "citations_delta":
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        return;
      case "input_json_delta":
        this.json.set(index, `${this.json.get(index) ?? ""}${text("partial_json")}`);
    }
  }

  private stop(block: Block, index: number): void {
    const json = this.json.get(index);
    if (json === undefined) return;
    this.json.delete(index);
    // A call cut short (max_tokens) keeps the input it started with, as the SDK's accumulator does.
    try {
      block.input = JSON.parse(json) as unknown;
    } catch {
      return;
    }
  }

  private end(event: Event): void {
    const message = this.current();
    const { stop_reason, stop_sequence, container } = event.delta ?? {};
    message.stop_reason = (stop_reason as StopReason | null | undefined) ?? null;
    message.stop_sequence = typeof stop_sequence === "string" ? stop_sequence : null;
    message.usage = { ...message.usage, ...event.usage };
    message.container = container ?? null;
  }
}
