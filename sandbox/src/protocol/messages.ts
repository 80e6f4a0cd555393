import { z } from "zod";
import { toolCall, toolDeclaration, toolResult } from "../../../lib/sandbox-api.ts";

/**
 * Messages exchanged with the Python runner (sandbox/runner/runner.py), one per frame.
 * The runner is the only other party, so these schemas are the protocol's definition:
 * the service validates every frame it reads against `runnerMessage`.
 */

// Tool declarations, calls and results are the HTTP API's own (lib/sandbox-api.ts), passed through as they are.

// ── service → runner ─────────────────────────────────────────────────────────

/**
 * Run `code` in fresh interpreter state; output beyond `max_output_bytes` fails the execution. The
 * runner sends no frame above `max_frame_bytes` and no more than `max_tool_calls` calls in one message.
 */
export const executeMessage = z.object({
  type: z.literal("execute"),
  execution_id: z.string().min(1),
  code: z.string(),
  tools: z.array(toolDeclaration),
  max_output_bytes: z.number().int().nonnegative(),
  max_frame_bytes: z.number().int().positive(),
  max_tool_calls: z.number().int().positive(),
});
export type ExecuteMessage = z.infer<typeof executeMessage>;

/** The answers to every call of the last `tool_calls` message of this execution. */
export const toolResultsMessage = z.object({
  type: z.literal("tool_results"),
  execution_id: z.string().min(1),
  results: z.array(toolResult),
});
export type ToolResultsMessage = z.infer<typeof toolResultsMessage>;

export const serviceMessage = z.discriminatedUnion("type", [executeMessage, toolResultsMessage]);
export type ServiceMessage = z.infer<typeof serviceMessage>;

// ── runner → service ─────────────────────────────────────────────────────────

/**
 * The runner's first frame, once its interpreter is up and its channel is its own: only then is a
 * sandbox started (and a warm one in the pool ready for a session's first execution). Never sent again.
 */
export const readyMessage = z.object({ type: z.literal("ready") });

/** Every call issued while the code ran up to the point where nothing else could run. */
export const toolCallsMessage = z.object({
  type: z.literal("tool_calls"),
  execution_id: z.string().min(1),
  calls: z.array(toolCall).min(1),
});
export type ToolCallsMessage = z.infer<typeof toolCallsMessage>;

/**
 * The code ran to its end: `return_code` is 0, 1 when an exception escaped (traceback in
 * `stderr`), or the code passed to `sys.exit`.
 */
export const completedMessage = z.object({
  type: z.literal("completed"),
  execution_id: z.string().min(1),
  stdout: z.string(),
  stderr: z.string(),
  return_code: z.number().int(),
});
export type CompletedMessage = z.infer<typeof completedMessage>;

/** Why an execution did not complete. */
export const failureCode = z.enum([
  /** Captured stdout + stderr exceeded `max_output_bytes`; the output is cut at the cap. */
  "output_too_large",
  /** The execution process died without finishing (os._exit, a signal, a crash). */
  "unavailable",
  /** The execution process was killed by the kernel's out-of-memory killer (the sandbox's memory cgroup). */
  "memory_exceeded",
  /** A frame from the service was not a message the runner understands. */
  "invalid_message",
  /** The frame stream itself broke (oversized or malformed frame); the runner exits. */
  "protocol_error",
]);
export type FailureCode = z.infer<typeof failureCode>;

export const failedMessage = z.object({
  type: z.literal("failed"),
  /** Null only for protocol failures that cannot be tied to an execution. */
  execution_id: z.string().nullable(),
  error_code: failureCode,
  message: z.string().optional(),
  stdout: z.string(),
  stderr: z.string(),
});
export type FailedMessage = z.infer<typeof failedMessage>;

export const runnerMessage = z.discriminatedUnion("type", [toolCallsMessage, completedMessage, failedMessage]);
export type RunnerMessage = z.infer<typeof runnerMessage>;
