/**
 * One step of an execution: the service has just sent `execute` or `tool_results` to the
 * runner; wait (at most the execution timeout, the only time the code runs) for its next
 * message and turn it into the API's RESULT. Anything unexpected kills the runtime.
 */
import type { ExecutionErrorCode, ExecutionResult } from "../../lib/sandbox-api.ts";
import type { RunnerInstance } from "./instance.ts";

export interface StepOutcome {
  result: ExecutionResult;
  /** The runtime is gone (killed or dead): the session cannot run anything more. */
  runtimeLost: boolean;
}

/** A MemoryError traceback: the exception line, at the start of a line of stderr. */
const MEMORY_ERROR = /(^|\n)MemoryError\b/;

export function failed(executionId: string, errorCode: ExecutionErrorCode, stdout = "", stderr = ""): ExecutionResult {
  return { execution_id: executionId, status: "failed", error_code: errorCode, stdout, stderr };
}

export async function awaitRunner(instance: RunnerInstance, executionId: string, timeoutMs: number): Promise<StepOutcome> {
  const item = await instance.next(timeoutMs);
  if (item.kind === "timeout") {
    await instance.destroy();
    return { result: failed(executionId, "execution_time_exceeded"), runtimeLost: true };
  }
  if (item.kind === "closed") {
    const exit = await Promise.race([instance.exited, Bun.sleep(3000).then(() => undefined)]);
    await instance.destroy();
    const oom = exit?.oomKilled === true || MEMORY_ERROR.test(instance.stderr);
    return { result: failed(executionId, oom ? "memory_exceeded" : "unavailable"), runtimeLost: true };
  }
  const message = item.message;
  if (message.execution_id !== executionId) {
    // Only forged frames can name another execution: the runner can no longer be trusted.
    await instance.destroy();
    return { result: failed(executionId, "unavailable"), runtimeLost: true };
  }
  switch (message.type) {
    case "tool_calls":
      return { result: { execution_id: executionId, status: "tool_calls", calls: message.calls }, runtimeLost: false };
    case "completed": {
      const { stdout, stderr, return_code } = message;
      if (return_code !== 0 && MEMORY_ERROR.test(stderr)) {
        return { result: failed(executionId, "memory_exceeded", stdout, stderr), runtimeLost: false };
      }
      return { result: { execution_id: executionId, status: "completed", stdout, stderr, return_code }, runtimeLost: false };
    }
    case "failed": {
      const { stdout, stderr } = message;
      if (message.error_code === "output_too_large" || message.error_code === "memory_exceeded") {
        return { result: failed(executionId, message.error_code, stdout, stderr), runtimeLost: false };
      }
      if (message.error_code === "unavailable") {
        // The execution's process died; the runner itself goes on serving the session.
        const code = MEMORY_ERROR.test(stderr) ? "memory_exceeded" : "unavailable";
        return { result: failed(executionId, code, stdout, stderr), runtimeLost: false };
      }
      // invalid_message / protocol_error: we never send bad frames, so the stream is broken.
      await instance.destroy();
      return { result: failed(executionId, "unavailable", stdout, stderr), runtimeLost: true };
    }
  }
}
