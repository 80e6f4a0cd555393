import { z } from "zod";

/**
 * The sandbox service's HTTP API (sandbox/, routes in sandbox/src/app.ts; README "Sandbox service"), as
 * the one definition both sides use: the service validates request bodies and types its answers with
 * it, the proxy (src/ptc/sandbox-client.ts) builds its requests and validates the answers with it.
 */

/** Who a session belongs to: every call names it, and another owner gets exactly a missing session's answer. */
export const owner = z.string().min(1, "must be a non-empty string").max(256);

/** A tool the code may call, exposed to it as `await <name>(**input)` (a `-` becomes `_` in Python). */
export const toolDeclaration = z.object({
  name: z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "must be a Python-style identifier (letters, digits, _ and -)"),
  description: z.string().optional(),
});
export type ToolDeclaration = z.infer<typeof toolDeclaration>;

/** A call the code is awaiting; `input` is the keyword arguments it passed. */
export const toolCall = z.object({
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof toolCall>;

/** One answer to a call; `is_error` makes the call raise `ToolError(content)` in the code. */
export const toolResult = z.object({
  call_id: z.string().min(1),
  content: z.unknown(),
  is_error: z.boolean().optional(),
});
export type ToolResult = z.infer<typeof toolResult>;

// ── requests ─────────────────────────────────────────────────────────────────

/** POST /v1/sessions */
export const createSessionRequest = z.object({ owner });
export type CreateSessionRequest = z.infer<typeof createSessionRequest>;

/** POST /v1/sessions/{id}/executions; `input_schema` is accepted for the caller's convenience and unused. */
export const executeRequest = z.object({
  owner,
  code: z.string({ error: "must be a string" }),
  tools: z.array(toolDeclaration.extend({ input_schema: z.record(z.string(), z.unknown()).optional() })).default([]),
});
export type ExecuteRequest = z.input<typeof executeRequest>;

/** POST /v1/sessions/{id}/executions/{execution_id}/tool-results */
export const toolResultsRequest = z.object({ owner, results: z.array(toolResult).min(1, "must hold at least one result") });
export type ToolResultsRequest = z.infer<typeof toolResultsRequest>;

/** GET and DELETE /v1/sessions/{id}?owner= */
export const ownerQuery = z.object({ owner });

// ── answers ──────────────────────────────────────────────────────────────────

/** 201 to POST /v1/sessions: the session lives until `expires_at` unless it is used again. */
export const sessionCreated = z.object({ session_id: z.string().min(1), expires_at: z.iso.datetime() });
export type SessionCreated = z.infer<typeof sessionCreated>;

const sessionState = z.enum(["idle", "running", "awaiting_tools", "dead"]);
export type SessionState = z.infer<typeof sessionState>;

/** 200 to GET /v1/sessions/{id}: `expires_at` moves on with each use. */
export const sessionInfo = z.object({
  session_id: z.string(),
  owner: z.string(),
  state: sessionState,
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  executions: z.number().int().nonnegative(),
});
export type SessionInfo = z.infer<typeof sessionInfo>;

/** Why an execution failed (a 200 answer: the code's trouble, not the request's). */
const executionErrorCode = z.enum([
  /** The code ran longer than SANDBOX_EXEC_TIMEOUT_S; the sandbox is destroyed. */
  "execution_time_exceeded",
  /** The code used more than the sandbox's memory (SANDBOX_MEMORY_MB). */
  "memory_exceeded",
  /** stdout + stderr exceeded SANDBOX_MAX_OUTPUT_BYTES; the output is cut at the cap. */
  "output_too_large",
  /** The client did not post tool results within SANDBOX_TOOL_RESULT_TIMEOUT_S; the session is dead. */
  "tool_result_timeout",
  /** The execution's process or the sandbox died. */
  "unavailable",
]);
export type ExecutionErrorCode = z.infer<typeof executionErrorCode>;

/** RESULT: the answer to an execution and to each batch of tool results. */
export const executionResult = z.discriminatedUnion("status", [
  z.object({ execution_id: z.string(), status: z.literal("tool_calls"), calls: z.array(toolCall).min(1) }),
  z.object({ execution_id: z.string(), status: z.literal("completed"), stdout: z.string(), stderr: z.string(), return_code: z.number().int() }),
  z.object({ execution_id: z.string(), status: z.literal("failed"), error_code: executionErrorCode, stdout: z.string(), stderr: z.string() }),
]);
export type ExecutionResult = z.infer<typeof executionResult>;

/** 200 to GET /health (no token needed). */
export const serviceHealth = z.object({
  runtime: z.string(),
  pool: z.object({ idle: z.number().int().nonnegative(), busy: z.number().int().nonnegative() }),
  sessions: z.number().int().nonnegative(),
});
export type ServiceHealth = z.infer<typeof serviceHealth>;

/** The error types of the service's error answers (their statuses: sandbox/src/errors.ts). */
const serviceErrorType = z.enum([
  "invalid_request_error",
  "authentication_error",
  "not_found_error",
  "conflict_error",
  "request_too_large",
  "rate_limit_error",
  "overloaded_error",
  "api_error",
]);
export type ServiceErrorType = z.infer<typeof serviceErrorType>;

/** Every error answer: `{"error": {"type", "message"}}`. */
export const serviceErrorEnvelope = z.object({ error: z.object({ type: serviceErrorType, message: z.string() }) });
export type ServiceErrorEnvelope = z.infer<typeof serviceErrorEnvelope>;
