import type { ExecutionStep, SandboxClient } from "./sandbox-client.ts";

/** Told of each execution step (metrics): code run or resumed, how it ended, how long the sandbox took. */
export interface PtcObserver {
  ptcStep(step: "execute" | "resume", outcome: string, ms: number): void;
}

/** The sandbox client, each execution step it makes told to `observer`; nothing else changes. */
export function observedSandbox(client: SandboxClient, observer: PtcObserver): SandboxClient {
  const timed = async (step: "execute" | "resume", run: () => Promise<ExecutionStep>) => {
    const started = performance.now();
    const result = await run();
    observer.ptcStep(step, outcomeOf(result), performance.now() - started);
    return result;
  };
  return {
    createSession: (owner, signal) => client.createSession(owner, signal),
    execute: (sessionId, owner, code, tools, signal) => timed("execute", () => client.execute(sessionId, owner, code, tools, signal)),
    submitToolResults: (sessionId, owner, executionId, results, signal) => timed("resume", () => client.submitToolResults(sessionId, owner, executionId, results, signal)),
    expiresAt: (sessionId, owner) => client.expiresAt(sessionId, owner),
    ready: () => client.ready(),
  };
}

/** `paused` (the code waits on client tools), `done`, or the error code the model is told. */
function outcomeOf(step: ExecutionStep): string {
  if (step.status === "tool_calls") return "paused";
  return step.outcome.type === "code_execution_result" ? "done" : step.outcome.error_code;
}
