/**
 * The proxy's client of the sandbox service (sandbox/, API in lib/sandbox-api.ts). During an
 * execution it never throws on sandbox trouble: every failure becomes a `done` step whose outcome
 * carries Anthropic's error code, so the model is told and the loop goes on.
 */
import type { CodeOutcome } from "./code-result.ts";

export interface SandboxClient {
  createSession(owner: string, signal?: AbortSignal): Promise<{ sessionId: string; expiresAt: string }>;
  execute(sessionId: string, owner: string, code: string, tools: { name: string; description?: string }[], signal?: AbortSignal): Promise<ExecutionStep>;
  submitToolResults(
    sessionId: string,
    owner: string,
    executionId: string,
    results: { call_id: string; content: unknown; is_error?: boolean }[],
    signal?: AbortSignal,
  ): Promise<ExecutionStep>;
  /** The session's expiry, or undefined when the service no longer has it. */
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
