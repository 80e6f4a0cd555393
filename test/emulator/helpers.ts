import { afterAll, beforeAll, beforeEach } from "bun:test";
import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { RecordedRequest } from "../../emulator/request-log.ts";
import type { Turn } from "../../emulator/script.ts";
import { startEmulator, type Emulator } from "../../emulator/server.ts";

/** One emulator per test file, reset before each test; clients built the way the proxy builds them. */

export const sonnet = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
export const sonnetFoundation = "anthropic.claude-sonnet-4-5-20250929-v1:0";
export const qwen = "qwen.qwen3-coder-480b-a35b-v1:0";
export const credentials = { accessKeyId: "x", secretAccessKey: "y" };

export interface EmulatorFixture {
  readonly url: string;
  /** SigV4 by default; `bearer` uses a Bedrock API key. Retries off, so scripted errors surface as sent. */
  runtime(auth?: "sigv4" | "bearer"): BedrockRuntimeClient;
  control(): BedrockClient;
  queue(...turns: Turn[]): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
  /** A raw data-plane POST with a bearer token. */
  post(path: string, body: unknown): Promise<Response>;
}

export function useEmulator(): EmulatorFixture {
  let emulator: Emulator | undefined;
  const url = () => {
    if (!emulator) throw new Error("emulator not started");
    return emulator.url;
  };
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator?.stop());
  beforeEach(async () => {
    await fetch(`${url()}/_emulator/reset`, { method: "POST" });
  });
  return {
    get url() {
      return url();
    },
    runtime: (auth = "sigv4") =>
      new BedrockRuntimeClient({
        endpoint: url(),
        region: "us-east-1",
        requestHandler: new NodeHttpHandler(),
        maxAttempts: 1,
        ...(auth === "sigv4" ? { credentials } : { token: { token: "abc" }, authSchemePreference: ["httpBearerAuth"] }),
      }),
    control: () => new BedrockClient({ endpoint: url(), region: "us-east-1", credentials, requestHandler: new NodeHttpHandler(), maxAttempts: 1 }),
    async queue(...turns) {
      const response = await fetch(`${url()}/_emulator/script`, { method: "POST", body: JSON.stringify({ responses: turns }) });
      if (!response.ok) throw new Error(`script rejected: ${await response.text()}`);
    },
    requests: async () => (await (await fetch(`${url()}/_emulator/requests`)).json()) as RecordedRequest[],
    post: (path, body) =>
      fetch(`${url()}${path}`, {
        method: "POST",
        headers: { authorization: "Bearer abc", "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
  };
}

export const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Cuts a raw event-stream body at each frame's length prefix (the codec checks CRCs per frame). */
export function splitFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.byteLength; ) {
    const length = view.getUint32(offset);
    frames.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return frames;
}

export interface DecodedFrame {
  /** Header names in wire order, with their string values. */
  headers: [string, string][];
  payload: Record<string, unknown>;
}

export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  return splitFrames(bytes).map((frame) => {
    const message = codec.decode(frame);
    return {
      headers: Object.entries(message.headers).map(([name, header]) => [name, String(header.value)]),
      payload: JSON.parse(toUtf8(message.body)) as Record<string, unknown>,
    };
  });
}

export function header(frame: DecodedFrame, name: string): string | undefined {
  return frame.headers.find(([key]) => key === name)?.[1];
}

/** The Anthropic event inside an InvokeModelWithResponseStream `chunk` payload. */
export function chunkEvent(frame: DecodedFrame): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(frame.payload["bytes"]), "base64").toString("utf8")) as Record<string, unknown>;
}

export function userText(text: string) {
  return { role: "user" as const, content: [{ text }] };
}

export function invokeBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { anthropic_version: "bedrock-2023-05-31", max_tokens: 256, messages: [{ role: "user", content: "Hello" }], ...fields };
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
