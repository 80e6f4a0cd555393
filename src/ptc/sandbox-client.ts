/**
 * The proxy's client of the sandbox service (sandbox/, API in lib/sandbox-api.ts). During an
 * execution it never throws on sandbox trouble: every failure becomes a `done` step whose outcome
 * carries Anthropic's error code, so the model is told and the loop goes on.
 */
import { z } from "zod";
import {
  type CreateSessionRequest,
  type ExecuteRequest,
  executionResult,
  serviceErrorEnvelope,
  serviceHealth,
  sessionCreated,
  sessionInfo,
  type ToolResultsRequest,
} from "../../lib/sandbox-api.ts";
import { inSpan, injectTraceHeaders, SpanKind, tracingOn } from "../../lib/tracing.ts";
import type { CodeOutcome } from "./code-result.ts";
import { sandboxUnavailable, stepFromResult } from "./sandbox-outcomes.ts";

export interface SandboxClient {
  /** Rejects with SandboxFailure (its outcome is the code call's answer) when no session can be had. */
  createSession(owner: string, signal?: AbortSignal): Promise<{ sessionId: string; expiresAt: string }>;
  /** Rejects only with SandboxSessionNotFound, or with the reason of the caller's abort (so does submitToolResults). */
  execute(sessionId: string, owner: string, code: string, tools: { name: string; description?: string }[], signal?: AbortSignal): Promise<ExecutionStep>;
  submitToolResults(
    sessionId: string,
    owner: string,
    executionId: string,
    results: { call_id: string; content: unknown; is_error?: boolean }[],
    signal?: AbortSignal,
  ): Promise<ExecutionStep>;
  /**
   * The session's expiry, or undefined when the service no longer has it, or cannot say within a few
   * seconds (down, slow): the caller keeps the expiry it knows rather than fail an answer over it.
   */
  expiresAt(sessionId: string, owner: string): Promise<string | undefined>;
  ready(): Promise<void>;
}

/** One step of an execution, with the sandbox's codes already mapped onto Anthropic's (transport failures,
 *  timeouts, 5xx → unavailable; 429 → too_many_requests; memory/output overruns → a message the model reads). */
export type ExecutionStep =
  | { status: "tool_calls"; executionId: string; calls: { callId: string; name: string; input: Record<string, unknown> }[] }
  | { status: "done"; executionId: string | undefined; outcome: CodeOutcome };

/** An error outcome of the code tool (the `code_execution_tool_result_error` branch). */
export type CodeError = Extract<CodeOutcome, { type: "code_execution_tool_result_error" }>;

/**
 * createSession could not give a session (service down, slow, per-owner cap): `outcome` is what the
 * code call that needed it answers.
 */
export class SandboxFailure extends Error {
  override name = "SandboxFailure";
  constructor(readonly outcome: CodeError) {
    super(outcome.message ?? outcome.error_code);
  }
}

/**
 * The service no longer has the session (expired, or its service restarted): the container is gone,
 * which the loop answers as an expired container rather than a failed code call.
 */
export class SandboxSessionNotFound extends Error {
  override name = "SandboxSessionNotFound";
  constructor(readonly sessionId: string) {
    super(`sandbox session ${sessionId} not found`);
  }
}

export interface SandboxClientOptions {
  /** Base URL of the sandbox service, e.g. http://127.0.0.1:8090 */
  url: string;
  token: string;
  /** Per request; longer than the service's execution timeout, so its own timeout answers first. */
  timeoutMs: number;
}

export function createSandboxClient(options: SandboxClientOptions): SandboxClient {
  return new HttpSandboxClient(options);
}

interface CallOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  /** The client span's name; none for the readiness probes, which /ready repeats all day. */
  span?: string;
}

/** What one call to the service came to: an HTTP answer (body parsed as JSON when it is), or why there was none. */
type Reply = { status: number; body: unknown } | { failure: CodeError };

class HttpSandboxClient implements SandboxClient {
  readonly #base: string;

  constructor(private readonly options: SandboxClientOptions) {
    this.#base = options.url.replace(/\/+$/, "");
  }

  async createSession(owner: string, signal?: AbortSignal): Promise<{ sessionId: string; expiresAt: string }> {
    const reply = await this.#call("POST", "/v1/sessions", { body: { owner } satisfies CreateSessionRequest, signal, span: "sandbox.create_session" });
    if ("failure" in reply) throw new SandboxFailure(reply.failure);
    const created = reply.status === 201 ? sessionCreated.safeParse(reply.body) : undefined;
    if (created?.success) return { sessionId: created.data.session_id, expiresAt: created.data.expires_at };
    throw new SandboxFailure(errorOutcome(reply));
  }

  async execute(sessionId: string, owner: string, code: string, tools: { name: string; description?: string }[], signal?: AbortSignal): Promise<ExecutionStep> {
    return this.#step(sessionId, await this.#call("POST", `${sessionPath(sessionId)}/executions`, { body: { owner, code, tools } satisfies ExecuteRequest, signal, span: "sandbox.execute" }));
  }

  async submitToolResults(sessionId: string, owner: string, executionId: string, results: ToolResultsRequest["results"], signal?: AbortSignal): Promise<ExecutionStep> {
    const path = `${sessionPath(sessionId)}/executions/${encodeURIComponent(executionId)}/tool-results`;
    return this.#step(sessionId, await this.#call("POST", path, { body: { owner, results } satisfies ToolResultsRequest, signal, span: "sandbox.submit_tool_results" }), executionId);
  }

  async expiresAt(sessionId: string, owner: string): Promise<string | undefined> {
    const reply = await this.#call("GET", `${sessionPath(sessionId)}?owner=${encodeURIComponent(owner)}`, { timeoutMs: quickTimeoutMs, span: "sandbox.session_info" });
    const info = "status" in reply && reply.status === 200 ? sessionInfo.safeParse(reply.body) : undefined;
    return info?.success ? info.data.expires_at : undefined;
  }

  /**
   * The service answers /health, and takes our token: a session no one has is a 404 to a good token and
   * a 401 to a wrong one, so a bad SANDBOX_TOKEN shows in /ready rather than in the first code call.
   */
  async ready(): Promise<void> {
    const health = await this.#call("GET", "/health", { timeoutMs: quickTimeoutMs });
    if ("failure" in health) throw new Error(health.failure.message);
    if (health.status !== 200 || !serviceHealth.safeParse(health.body).success) throw new Error(`sandbox service /health answered ${health.status}`);
    const probe = await this.#call("GET", `${sessionPath("readiness-probe")}?owner=proxy`, { timeoutMs: quickTimeoutMs });
    if ("failure" in probe) throw new Error(probe.failure.message);
    if (probe.status === 401) throw new Error("the sandbox service refuses SANDBOX_TOKEN");
    if (probe.status !== 404) throw new Error(`sandbox service answered ${probe.status} to an authenticated request`);
  }

  #step(sessionId: string, reply: Reply, executionId?: string): ExecutionStep {
    if ("failure" in reply) return { status: "done", executionId, outcome: reply.failure };
    if (reply.status === 404) throw new SandboxSessionNotFound(sessionId);
    const result = reply.status === 200 ? executionResult.safeParse(reply.body) : undefined;
    if (result?.success) return stepFromResult(result.data);
    return { status: "done", executionId, outcome: errorOutcome(reply) };
  }

  /**
   * One request, in a client span when `span` names one (the service's own spans nest under it: the
   * request carries the trace in `traceparent`).
   */
  #call(method: "GET" | "POST", path: string, options: CallOptions = {}): Promise<Reply> {
    const { span: name } = options;
    if (name === undefined || !tracingOn()) return this.#send(method, path, options);
    return inSpan(
      name,
      { "http.request.method": method, "url.path": path },
      async (span) => {
        const reply = await this.#send(method, path, options);
        span?.setAttributes("status" in reply ? { "http.response.status_code": reply.status } : { "error.type": reply.failure.error_code, "error.message": reply.failure.message ?? "" });
        return reply;
      },
      SpanKind.CLIENT,
    );
  }

  /**
   * One request, bounded by the client timeout; never rejects for the service's sake (down, slow,
   * garbled: a failure value). Only the caller's own abort rejects, with its reason.
   */
  async #send(method: "GET" | "POST", path: string, options: CallOptions): Promise<Reply> {
    const { body, signal, timeoutMs = this.options.timeoutMs } = options;
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    injectTraceHeaders(headers);
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      const response = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      const text = await response.text();
      return { status: response.status, body: parseJson(text) };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { failure: sandboxUnavailable(`the sandbox service did not answer within ${timeoutMs} ms`) };
      return { failure: sandboxUnavailable(`the sandbox service could not be reached (${error instanceof Error ? error.message : String(error)})`) };
    }
  }
}

/** For what must answer quickly whatever the sandbox does: /ready (like its other checks, src/proxy.ts), and expiresAt. */
const quickTimeoutMs = 3_000;

const sessionPath = (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An answer that is not the one asked for: 429 is the per-owner cap; anything else leaves the code call unavailable. */
function errorOutcome(reply: { status: number; body: unknown }): CodeError {
  const envelope = serviceErrorEnvelope.safeParse(reply.body);
  const said = envelope.success ? envelope.data.error.message : z.string().catch("").parse(reply.body).slice(0, 200);
  const message = `the sandbox service answered ${reply.status}${said ? `: ${said}` : ""}`;
  if (reply.status === 429) return { type: "code_execution_tool_result_error", error_code: "too_many_requests", message };
  return sandboxUnavailable(message);
}
