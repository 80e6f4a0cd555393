import { BedrockRuntimeHttp, type RuntimeOperation } from "../../src/bedrock/runtime/http.ts";
import { sigV4 } from "../../src/bedrock/runtime/signer.ts";
import { benchAwsCredentials } from "./processes.ts";
import { ConverseStreamWatcher, InvokeStreamWatcher, type Milestone, SseWatcher, type StreamWatcher } from "./streams.ts";

/**
 * The one conversation every phase sends, in three wire shapes: Bedrock InvokeModel (direct, native
 * Claude), Bedrock Converse (direct, other models), and the Anthropic Messages API (through the
 * proxy, which turns it into one of the first two). Bodies are serialised and direct requests
 * signed (SigV4, which the emulator verifies) once, so the load generator spends its CPU on the
 * requests and not on JSON or signing. The bare forwarder (the floor) takes the direct shape unsigned
 * and signs it itself.
 */

export const claudeModel = "claude-sonnet-4-6";
export const claudeBedrockId = "global.anthropic.claude-sonnet-4-6";
export const converseModel = "qwen.qwen3-coder-480b-a35b-v1:0";

/** Long enough that the emulator's default answer (which quotes it) streams as several deltas. */
const userText = "Summarise the benefits of keeping a proxy's per-request overhead small, in one short paragraph please.";
const maxTokens = 256;

export type Route = "invoke" | "converse";
export type Via = "direct" | "forwarder" | "proxy";

export interface Endpoints {
  emulator: string;
  proxy: string;
  /** The bare SigV4 forwarder in front of the emulator: the floor of what any proxy can cost. */
  forwarder: string;
}

export interface PreparedRequest {
  url: string;
  init: RequestInit;
  /** A reader for this response's stream format; undefined for a non-streaming request. */
  watcher?: () => StreamWatcher;
}

const jsonHeaders = { "content-type": "application/json", accept: "application/json" };
// No key: the bench proxies run in open mode, where only a missing key passes (keyed lanes add theirs).
const anthropicHeaders = { "content-type": "application/json", "anthropic-version": "2023-06-01" };

/** A Bedrock request signed as the proxy signs (the emulator does not check the clock, so it is signed once). */
async function bedrockRequest(endpoint: string, signed: boolean, modelId: string, operation: RuntimeOperation, body: string): Promise<PreparedRequest> {
  const http = new BedrockRuntimeHttp(new URL(endpoint), sigV4(async () => benchAwsCredentials, "us-east-1"), "bench");
  const request = { operation, modelId, body, headers: jsonHeaders };
  const { url, headers } = await http.signed(request);
  return { url, init: { method: "POST", headers: signed ? (headers as Record<string, string>) : jsonHeaders, body } };
}

function bedrockInvoke(endpoint: string, signed: boolean, stream: boolean): Promise<PreparedRequest> {
  const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: maxTokens, messages: [{ role: "user", content: userText }] });
  const operation = stream ? "invoke-with-response-stream" : "invoke";
  return bedrockRequest(endpoint, signed, claudeBedrockId, operation, body);
}

function bedrockConverse(endpoint: string, signed: boolean, stream: boolean): Promise<PreparedRequest> {
  const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: userText }] }], inferenceConfig: { maxTokens } });
  const operation = stream ? "converse-stream" : "converse";
  return bedrockRequest(endpoint, signed, converseModel, operation, body);
}

export function proxyRequest(proxy: string, route: Route, stream: boolean): PreparedRequest {
  const model = route === "invoke" ? claudeModel : converseModel;
  const body = JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: "user", content: userText }], ...(stream ? { stream: true } : {}) });
  return {
    url: `${proxy}/v1/messages`,
    init: { method: "POST", headers: anthropicHeaders, body },
    ...(stream ? { watcher: () => new SseWatcher() } : {}),
  };
}

export async function prepareRequest(endpoints: Endpoints, via: Via, route: Route, stream: boolean): Promise<PreparedRequest> {
  if (via === "proxy") return proxyRequest(endpoints.proxy, route, stream);
  const [endpoint, signed] = via === "direct" ? [endpoints.emulator, true] : [endpoints.forwarder, false];
  const request = await (route === "invoke" ? bedrockInvoke(endpoint, signed, stream) : bedrockConverse(endpoint, signed, stream));
  const watcher = route === "invoke" ? () => new InvokeStreamWatcher() : () => new ConverseStreamWatcher();
  return stream ? { ...request, watcher } : request;
}

/** No single request may hang the bench: each is abandoned (and counted as failed) after this. */
const requestTimeoutMs = 60_000;

function send(request: PreparedRequest): Promise<Response> {
  return fetch(request.url, { ...request.init, signal: AbortSignal.timeout(requestTimeoutMs) });
}

/** Every successful non-streaming answer in either shape names its stop reason `end_turn`. */
const completeAnswerMarker = '"end_turn"';

/** Sends one non-streaming request; resolves to its latency in ms, or throws on a wrong answer. */
export async function timeCompletion(request: PreparedRequest): Promise<number> {
  const started = performance.now();
  const response = await send(request);
  const text = await response.text();
  const latency = performance.now() - started;
  if (!response.ok || !text.includes(completeAnswerMarker)) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return latency;
}

export interface StreamTiming {
  /** Request sent → first content delta received. */
  firstTokenMs: number;
  /** Request sent → body ended. */
  totalMs: number;
}

/** Called as a stream passes its milestones: lets a phase count streams that are open right now. */
export type MilestoneListener = (milestone: Milestone) => void;

/** Sends one streaming request and reads it to the end; throws unless it started, had a delta and stopped. */
export async function timeStream(request: PreparedRequest, onMilestone?: MilestoneListener): Promise<StreamTiming> {
  if (!request.watcher) throw new Error("not a streaming request");
  const watcher = request.watcher();
  const started = performance.now();
  const response = await send(request);
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const seen = new Set<Milestone>();
  let firstTokenMs = Number.NaN;
  for await (const bytes of response.body) {
    for (const milestone of watcher.push(bytes)) {
      if (milestone === "delta" && !seen.has("delta")) firstTokenMs = performance.now() - started;
      if (!seen.has(milestone)) onMilestone?.(milestone);
      seen.add(milestone);
    }
  }
  const totalMs = performance.now() - started;
  if (!seen.has("start") || !seen.has("delta") || !seen.has("stop")) throw new Error(`stream ended incomplete (saw ${[...seen].join(", ") || "nothing"})`);
  return { firstTokenMs, totalMs };
}
