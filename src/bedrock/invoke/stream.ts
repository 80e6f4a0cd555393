import type { ResponseStream } from "@aws-sdk/client-bedrock-runtime";
import { ApiError } from "../../anthropic/errors.ts";
import { emptyUsage, type Usage } from "../../anthropic/messages.ts";
import type { StreamChunk } from "../upstream.ts";

/**
 * The native stream's state machine. Bedrock's `chunk` events carry Anthropic's own stream events;
 * most go out byte for byte (only their type is read). Three are rewritten: `message_start`
 * (the client's model name, usage fields always present), `message_delta` (read for usage), and
 * `message_stop` (Bedrock's `amazon-bedrock-invocationMetrics` removed).
 */
export class InvokeStreamRelay {
  usage: Usage = emptyUsage();
  private stopped = false;
  private readonly decoder = new TextDecoder();

  constructor(private readonly model: string) {}

  push(event: ResponseStream): StreamChunk | undefined {
    const bytes = event.chunk?.bytes;
    if (!bytes) return undefined;
    const data = this.decoder.decode(bytes);
    const type = eventType(data);
    switch (type) {
      case "message_start":
        return { type, data: JSON.stringify(this.start(JSON.parse(data) as MessageStart)) };
      case "message_delta":
        return { type, data: JSON.stringify(this.delta(JSON.parse(data) as MessageDelta)) };
      case "message_stop":
        this.stopped = true;
        return { type, data: '{"type":"message_stop"}' };
      default:
        return { type, data: data.includes("\n") ? JSON.stringify(JSON.parse(data)) : data };
    }
  }

  /** When the upstream ends: a stream cut before message_stop must not pass for a finished answer. */
  end(): void {
    if (!this.stopped) throw new ApiError("api_error", "Bedrock ended the stream before the message was complete");
  }

  private start(event: MessageStart): MessageStart {
    this.usage = normaliseUsage(event.message?.usage);
    return { ...event, message: { ...event.message, model: this.model, usage: this.usage } };
  }

  /** message_delta usage is cumulative; where it names input or cache counts, they are the final ones. */
  private delta(event: MessageDelta): MessageDelta {
    this.usage = { ...this.usage, ...pickNumbers(event.usage) };
    return event;
  }
}

interface MessageStart {
  type: "message_start";
  message?: { usage?: unknown } & Record<string, unknown>;
}

interface MessageDelta {
  type: "message_delta";
  usage?: unknown;
}

const typePrefix = /^\s*\{\s*"type"\s*:\s*"([a-z_]+)"/;

/** Bedrock writes `type` first; reading it from the text spares parsing every delta. */
function eventType(data: string): string {
  const match = typePrefix.exec(data);
  if (match?.[1]) return match[1];
  const parsed = JSON.parse(data) as { type?: unknown };
  return typeof parsed.type === "string" ? parsed.type : "unknown";
}

const usageFields = ["input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const;

function pickNumbers(usage: unknown): Partial<Usage> {
  if (typeof usage !== "object" || usage === null) return {};
  const record = usage as Record<string, unknown>;
  return Object.fromEntries(usageFields.flatMap((field) => (typeof record[field] === "number" ? [[field, record[field]]] : [])));
}

/** Anthropic usage with every count present (docs/bedrock-protocol.md#p10-message-start-usage). */
export function normaliseUsage(usage: unknown): Usage {
  const extra = typeof usage === "object" && usage !== null ? usage : {};
  return { ...extra, ...emptyUsage(), ...pickNumbers(usage) };
}
