/** Server-sent events in Anthropic's framing: `event: <type>` then `data: <json>`, one blank line after. */

const encoder = new TextEncoder();

export interface SseEvent {
  type: string;
  [field: string]: unknown;
}

export function encodeSse(event: SseEvent): Uint8Array {
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** For the native path, whose events arrive as JSON text already: no parse and re-serialise needed. */
export function encodeSseRaw(type: string, json: string): Uint8Array {
  return encoder.encode(`event: ${type}\ndata: ${json}\n\n`);
}
