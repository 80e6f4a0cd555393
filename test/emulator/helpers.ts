import { afterAll, beforeAll, beforeEach } from "bun:test";
import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { RecordedRequest } from "../../emulator/request-log.ts";
import type { Turn } from "../../emulator/script.ts";
import { startEmulator, type Emulator } from "../../emulator/server.ts";

/**
 * One emulator per test file, reset before each test; clients built the way the proxy builds them.
 * The emulator holds the clients' credentials, so every SigV4 signature the SDK makes is verified.
 */

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
    emulator = await startEmulator({ credentials });
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

export { chunkEvent, codec, type DecodedFrame, decodeFrames, header, splitFrames } from "../support/eventstream.ts";

export function userText(text: string) {
  return { role: "user" as const, content: [{ text }] };
}

/** A Converse toolConfig declaring `names`: a model calls only the tools its request offers. */
export function toolConfigOf(...names: string[]) {
  return { tools: names.map((name) => ({ toolSpec: { name, inputSchema: { json: { type: "object" } } } })) };
}

/** InvokeModel `tools` declaring `names`. */
export function invokeToolsOf(...names: string[]) {
  return names.map((name) => ({ name, input_schema: { type: "object" } }));
}

export function invokeBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { anthropic_version: "bedrock-2023-05-31", max_tokens: 256, messages: [{ role: "user", content: "Hello" }], ...fields };
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
