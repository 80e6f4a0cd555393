/**
 * The sandbox's execution results (lib/sandbox-api.ts) in Anthropic's terms: its own failure codes
 * become Anthropic's `code_execution_tool_result_error` codes, with a message the model can act on
 * (docs/ptc.md, "What the model reads"):
 *
 *   execution_time_exceeded                       → execution_time_exceeded
 *   memory_exceeded, output_too_large             → unavailable, saying what to do instead
 *   tool_result_timeout, unavailable              → unavailable, saying what happened
 */
import type { ExecutionErrorCode, ExecutionResult } from "../../lib/sandbox-api.ts";
import type { CodeError, ExecutionStep } from "./sandbox-client.ts";

export function sandboxUnavailable(message: string): CodeError {
  return { type: "code_execution_tool_result_error", error_code: "unavailable", message };
}

export function stepFromResult(result: ExecutionResult): ExecutionStep {
  const executionId = result.execution_id;
  switch (result.status) {
    case "tool_calls":
      return { status: "tool_calls", executionId, calls: result.calls.map((c) => ({ callId: c.call_id, name: c.name, input: c.input })) };
    case "completed": {
      const { stdout, stderr, return_code } = result;
      return { status: "done", executionId, outcome: { type: "code_execution_result", stdout, stderr, return_code, content: [] } };
    }
    case "failed":
      return { status: "done", executionId, outcome: failureOutcome(result.error_code, result.stdout, result.stderr) };
  }
}

function failureOutcome(code: ExecutionErrorCode, stdout: string, stderr: string): CodeError {
  switch (code) {
    case "execution_time_exceeded":
      return { type: "code_execution_tool_result_error", error_code: "execution_time_exceeded", message: "the code ran longer than the sandbox allows and was stopped" };
    case "memory_exceeded":
      return sandboxUnavailable("the code used more than the sandbox's memory and was stopped; work on smaller pieces of data");
    case "output_too_large": {
      // The sandbox cuts the output at its cap, so what came back is the cap.
      const bytes = Buffer.byteLength(stdout) + Buffer.byteLength(stderr);
      return sandboxUnavailable(`the code's output exceeded ${bytes} bytes and it was stopped; print less (a summary, not the whole data)`);
    }
    case "tool_result_timeout":
      return sandboxUnavailable("the tool results came too late: the sandbox stopped waiting for them and ended the code");
    case "unavailable":
      return sandboxUnavailable("the sandbox stopped while running the code");
  }
}
