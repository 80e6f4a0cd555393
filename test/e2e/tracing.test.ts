import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../emulator/server.ts";
import { startProxyProcess } from "../support/proxy-process.ts";
import { type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.ts";
import { codeTool, codeTurn, ptcBetas, textTurn, weatherTool } from "../support/ptc.ts";
import { type SandboxUnderTest, startSandboxService } from "../support/sandbox-service.ts";
import type { ServiceProcess } from "../support/service-process.ts";
import { emulatorControl } from "../support/stack.ts";

/**
 * Tracing end to end (README "Tracing"): a proxy process and a real sandbox service on bwrap export
 * their spans over OTLP/HTTP to a receiver run here. Each request carries a `traceparent` of ours, so
 * its spans are found by trace id: the proxy's under ours, the sandbox's under the proxy's sandbox
 * call. A proxy without OTEL_EXPORTER_OTLP_ENDPOINT exports nothing.
 */

let receiver: ReturnType<typeof startOtlpReceiver>;
let emulator: Emulator;
let sandbox: SandboxUnderTest;
let proxy: ServiceProcess & { url: string };
const masterKey = `master-${crypto.randomUUID()}`;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  emulator = await startEmulator({ port: 0 });
  sandbox = await startSandboxService("bwrap", 215_000, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
  proxy = await startProxyProcess({
    ...sandbox.proxyEnv,
    BEDROCK_ENDPOINT: emulator.url,
    AWS_BEARER_TOKEN_BEDROCK: "x",
    SQLITE_PATH: ":memory:",
    AUTH_MODE: "open",
    MASTER_API_KEY: masterKey,
    LOG_LEVEL: "info",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await sandbox?.stop();
  await emulator?.stop();
  await receiver?.stop();
});

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

/** A caller's trace: the `traceparent` it sends, and the ids the proxy's spans must hang under. */
function callerTrace() {
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function post(url: string, traceparent: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", traceparent, ...headers }, body: JSON.stringify(body) });
  return { response, text: await response.text() };
}

/** OpenTelemetry anchors each span on Date.now() at its start: whole milliseconds, in nanoseconds here. */
const spanClockGrainNs = 1_000_000n;
const named = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);
const one = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const found = named(spans, name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0] as ReceivedSpan;
};
const hasAll = (...names: string[]) => (spans: ReceivedSpan[]) => names.every((name) => spans.some((span) => span.name === name));

/** The proxy's log lines (JSON) naming `requestId`. */
function logLinesOf(process: ServiceProcess, requestId: string): Record<string, unknown>[] {
  return process
    .stderrTail()
    .split("\n")
    .filter((line) => line.includes(requestId))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const simple = { model: "claude-sonnet-4-6", max_tokens: 50, messages: [{ role: "user", content: "Hi" }] };

describe("spans of the proxy", () => {
  test("a messages request: server span under the caller's, admission and the Bedrock call under it; trace id in its log lines", async () => {
    const caller = callerTrace();
    const { response } = await post(proxy.url, caller.traceparent, simple);
    expect(response.status).toBe(200);
    const spans = await receiver.trace(caller.traceId, hasAll("POST /v1/messages", "gateway.admit", "bedrock.call"));

    const server = one(spans, "POST /v1/messages");
    expect(server).toMatchObject({ service: "anthropic-bedrock-proxy", parentSpanId: caller.spanId, kind: 2 });
    expect(server.attributes).toMatchObject({ "http.request.method": "POST", "http.route": "/v1/messages", "http.response.status_code": 200, "request.id": response.headers.get("request-id") });
    expect(one(spans, "gateway.admit")).toMatchObject({ parentSpanId: server.spanId, attributes: { "gateway.key_id": "anonymous", "gen_ai.request.model": expect.stringContaining("claude-sonnet-4-6") } });
    expect(one(spans, "bedrock.call")).toMatchObject({ parentSpanId: server.spanId, kind: 3, attributes: { "gen_ai.system": "aws.bedrock", "bedrock.service_tier": "default" } });

    const lines = logLinesOf(proxy, response.headers.get("request-id") ?? "");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.trace_id).toBe(caller.traceId);
  }, 30_000);

  test("a streamed request: the server span lasts as long as its stream, the Bedrock call inside it", async () => {
    const caller = callerTrace();
    const { response, text } = await post(proxy.url, caller.traceparent, { ...simple, stream: true });
    expect(response.status).toBe(200);
    expect(text).toContain("event: message_stop");
    const spans = await receiver.trace(caller.traceId, hasAll("POST /v1/messages", "bedrock.call"));
    const server = one(spans, "POST /v1/messages");
    const bedrock = one(spans, "bedrock.call");
    expect(bedrock.parentSpanId).toBe(server.spanId);
    expect(server.parentSpanId).toBe(caller.spanId);
    // Both end with the stream, not when the handler returns: the Bedrock call ends first, inside the request.
    // Each span's times are anchored on Date.now() when it starts, in whole milliseconds, so the ends of
    // two spans compare only to within a millisecond (the two are often less than that apart).
    expect(bedrock.end).toBeLessThanOrEqual(server.end + spanClockGrainNs);
    expect(bedrock.end - bedrock.start).toBeGreaterThan(0n);
    for (const line of logLinesOf(proxy, response.headers.get("request-id") ?? "")) expect(line.trace_id).toBe(caller.traceId);
  }, 30_000);

  test("a failed Bedrock call: retries are events of its span, which ends in error", async () => {
    await emulatorControl(emulator.url).script({ error: { type: "ServiceUnavailableException" } }, { error: { type: "ServiceUnavailableException" } }, { error: { type: "ServiceUnavailableException" } });
    const caller = callerTrace();
    const { response } = await post(proxy.url, caller.traceparent, simple);
    expect(response.status).toBeGreaterThanOrEqual(500);
    const spans = await receiver.trace(caller.traceId, hasAll("POST /v1/messages", "bedrock.call"));
    const bedrock = one(spans, "bedrock.call");
    expect(bedrock.events.filter((event) => event.name === "retry").map((event) => event.attributes.attempt)).toEqual([1, 2]);
    expect(bedrock.status.code).toBe(2);
    // The retries' warnings are the request's log lines too: they name its trace.
    const lines = logLinesOf(proxy, response.headers.get("request-id") ?? "");
    expect(lines.filter((line) => line.message === "retrying Bedrock call").map((line) => line.trace_id)).toEqual([caller.traceId, caller.traceId]);
  }, 30_000);
});

describe("store writes", () => {
  test("a usage batch is written in a trace of its own; a key write in the admin request's", async () => {
    const caller = callerTrace();
    const { response } = await post(proxy.url, caller.traceparent, simple);
    const requestId = response.headers.get("request-id");
    // Its record goes into a batch that may hold others': the batch's write is a root span, not the request's child.
    const [batch] = await receiver.collect((span) => span.name === "store.write_usage", (found) => found.length > 0);
    expect(requestId).toBeTruthy();
    expect(batch).toMatchObject({ parentSpanId: "", kind: 3, attributes: { "db.system.name": "sqlite" } });
    expect(Number(batch?.attributes["store.records"])).toBeGreaterThanOrEqual(1);

    const admin = callerTrace();
    const created = await fetch(`${proxy.url}/admin/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": masterKey, traceparent: admin.traceparent },
      body: JSON.stringify({ name: "traced" }),
    });
    expect(created.status).toBe(201);
    const spans = await receiver.trace(admin.traceId, hasAll("POST /admin/api/keys", "store.create_key"));
    expect(one(spans, "store.create_key").parentSpanId).toBe(one(spans, "POST /admin/api/keys").spanId);
  }, 30_000);
});

describe("spans across proxy and sandbox service", () => {
  test("a PTC round trip: the sandbox's spans are children of the proxy's sandbox calls, in the caller's trace", async () => {
    const script = emulatorControl(emulator.url);
    await script.script(codeTurn('print(await get_weather(city="Paris"))'), textTurn("Sunny in Paris."));
    const first = callerTrace();
    const request = { model: "claude-sonnet-4-6", max_tokens: 500, tools: [codeTool, weatherTool] };
    const betas = { "anthropic-beta": ptcBetas.join(",") };
    const messages = [{ role: "user", content: "Weather in Paris?" }];
    const paused = await post(proxy.url, first.traceparent, { ...request, messages }, betas);
    expect(paused.response.status).toBe(200);
    const answer = JSON.parse(paused.text) as { content: { type: string; id?: string }[]; container: { id: string } };
    const toolUse = answer.content.find((block) => block.type === "tool_use");
    expect(toolUse?.id).toBeDefined();

    const spans = await receiver.trace(first.traceId, hasAll("sandbox.create_session", "sandbox.execute", "POST /v1/sessions", "POST /v1/sessions/:id/executions", "sandbox.session.create", "sandbox.execution.run"));
    const proxyServer = one(spans, "POST /v1/messages");
    expect(proxyServer.parentSpanId).toBe(first.spanId);
    for (const [client, server, inner] of [
      ["sandbox.create_session", "POST /v1/sessions", "sandbox.session.create"],
      ["sandbox.execute", "POST /v1/sessions/:id/executions", "sandbox.execution.run"],
    ] as const) {
      const clientSpan = one(spans, client);
      expect(clientSpan).toMatchObject({ service: "anthropic-bedrock-proxy", kind: 3 });
      const serverSpan = one(spans, server);
      expect(serverSpan).toMatchObject({ service: "sandbox-service", kind: 2, parentSpanId: clientSpan.spanId });
      expect(one(spans, inner)).toMatchObject({ service: "sandbox-service", parentSpanId: serverSpan.spanId });
    }
    expect(one(spans, "sandbox.execution.run").attributes).toMatchObject({ "sandbox.status": "tool_calls", "sandbox.tool_calls": 1 });
    // The sandbox calls are made in the request's span, however deep in the PTC loop.
    for (const span of spans.filter((span) => span.service === "anthropic-bedrock-proxy" && span !== proxyServer)) expect([span.name, span.parentSpanId]).toEqual([span.name, proxyServer.spanId]);

    const second = callerTrace();
    const resumed = await post(
      proxy.url,
      second.traceparent,
      {
        ...request,
        container: answer.container.id,
        messages: [...messages, { role: "assistant", content: answer.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse?.id, content: "Sunny, 24°C" }] }],
      },
      betas,
    );
    expect(resumed.response.status).toBe(200);
    const resumedSpans = await receiver.trace(second.traceId, hasAll("sandbox.submit_tool_results", "sandbox.execution.tool_results"));
    const submit = one(resumedSpans, "sandbox.submit_tool_results");
    const submitServer = one(resumedSpans, "POST /v1/sessions/:id/executions/:executionId/tool-results");
    expect(submitServer.parentSpanId).toBe(submit.spanId);
    expect(one(resumedSpans, "sandbox.execution.tool_results")).toMatchObject({ parentSpanId: submitServer.spanId, attributes: { "sandbox.status": "completed", "sandbox.tool_results": 1 } });
  }, 60_000);
});

describe("a streamed PTC request", () => {
  test("the code runs while the stream is read, still in the request's span", async () => {
    await emulatorControl(emulator.url).script(codeTurn("print(6 * 7)"), textTurn("42."));
    const caller = callerTrace();
    const request = { model: "claude-sonnet-4-6", max_tokens: 500, stream: true, tools: [codeTool], messages: [{ role: "user", content: "6 * 7?" }] };
    const { response, text } = await post(proxy.url, caller.traceparent, request, { "anthropic-beta": ptcBetas.join(",") });
    expect(response.status).toBe(200);
    expect(text).toContain('"stdout":"42\\n"');
    const spans = await receiver.trace(caller.traceId, hasAll("sandbox.execute", "sandbox.execution.run"));
    const server = one(spans, "POST /v1/messages");
    expect(named(spans, "bedrock.call").map((span) => span.parentSpanId)).toEqual([server.spanId, server.spanId]);
    const execute = one(spans, "sandbox.execute");
    expect(execute.parentSpanId).toBe(server.spanId);
    expect(one(spans, "POST /v1/sessions/:id/executions").parentSpanId).toBe(execute.spanId);
    expect(execute.end).toBeLessThanOrEqual(server.end);
  }, 30_000);
});

describe("tracing off", () => {
  test("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported and log lines carry no trace id", async () => {
    const quiet = await startProxyProcess({ BEDROCK_ENDPOINT: emulator.url, AWS_BEARER_TOKEN_BEDROCK: "x", SQLITE_PATH: ":memory:", AUTH_MODE: "open", LOG_LEVEL: "info" });
    try {
      const caller = callerTrace();
      const { response } = await post(quiet.url, caller.traceparent, simple);
      expect(response.status).toBe(200);
      const lines = logLinesOf(quiet, response.headers.get("request-id") ?? "");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.trace_id).toBeUndefined();
      // Stopped, a proxy that traced would flush what it holds: nothing comes.
      await quiet.stop();
      expect(await receiver.trace(caller.traceId, (spans) => spans.length > 0, 1_000)).toEqual([]);
    } finally {
      await quiet.stop();
    }
  }, 30_000);
});
