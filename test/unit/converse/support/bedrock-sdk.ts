/**
 * Runs Converse payloads through the real @aws-sdk/client-bedrock-runtime, with a request handler
 * that answers from memory: what our code sees is exactly what the SDK makes of Bedrock's bytes
 * (blobs become Uint8Array, padding fields vanish…), and what it sends is exactly Bedrock's JSON.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  type ConverseCommandOutput,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  type CountTokensInput,
} from "@aws-sdk/client-bedrock-runtime";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { Readable } from "node:stream";

export interface UpstreamEvent {
  eventType: string;
  payload: Record<string, unknown>;
  messageType?: "event" | "exception";
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Bedrock's frames for these events, headers in the order Bedrock sends them. */
export function encodeFrames(events: readonly UpstreamEvent[]): Uint8Array[] {
  return events.map(({ eventType, payload, messageType = "event" }) =>
    codec.encode({
      headers: {
        [messageType === "event" ? ":event-type" : ":exception-type"]: { type: "string", value: eventType },
        ":content-type": { type: "string", value: "application/json" },
        ":message-type": { type: "string", value: messageType },
      },
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
}

interface FakeResponse {
  contentType: string;
  body: readonly Uint8Array[];
}

interface HandledRequest {
  body?: unknown;
}

function clientAnswering(response: FakeResponse, sent: { body?: string } = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: HandledRequest) => {
        sent.body = typeof request.body === "string" ? request.body : request.body instanceof Uint8Array ? toUtf8(request.body) : undefined;
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": response.contentType },
            body: Readable.from(response.body.map((chunk) => Buffer.from(chunk))),
          },
        };
      },
    },
  });
}

/** The ConverseStream events the SDK yields for these raw event-stream bytes. */
export async function streamThroughSdk(bytes: readonly Uint8Array[]): Promise<ConverseStreamOutput[]> {
  const client = clientAnswering({ contentType: "application/vnd.amazon.eventstream", body: bytes });
  const output = await client.send(new ConverseStreamCommand({ modelId: "test-model", messages: [] }));
  const events: ConverseStreamOutput[] = [];
  for await (const event of output.stream ?? []) events.push(event);
  return events;
}

/** The ConverseCommandOutput the SDK makes of a Converse JSON body. */
export async function converseThroughSdk(body: unknown): Promise<ConverseCommandOutput> {
  const client = clientAnswering({ contentType: "application/json", body: [fromUtf8(JSON.stringify(body))] });
  return client.send(new ConverseCommand({ modelId: "test-model", messages: [] }));
}

/** The JSON body the SDK sends Bedrock for this input (bytes as base64, as on the wire). */
export async function sentConverseBody(input: ConverseStreamCommandInput): Promise<Record<string, unknown>> {
  const sent: { body?: string } = {};
  const empty = encodeFrames([{ eventType: "messageStop", payload: { stopReason: "end_turn" } }]);
  const client = clientAnswering({ contentType: "application/vnd.amazon.eventstream", body: empty }, sent);
  const output = await client.send(new ConverseStreamCommand(input));
  for await (const _ of output.stream ?? []);
  return JSON.parse(sent.body ?? "null");
}

/** The JSON body the SDK sends Bedrock CountTokens for this input. */
export async function sentCountTokensBody(input: CountTokensInput): Promise<Record<string, unknown>> {
  const sent: { body?: string } = {};
  const client = clientAnswering({ contentType: "application/json", body: [fromUtf8('{"inputTokens":1}')] }, sent);
  await client.send(new CountTokensCommand({ modelId: "test-model", input }));
  return JSON.parse(sent.body ?? "null");
}
