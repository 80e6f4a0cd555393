/** Small helpers the runtime contract tests share. */
import type { RuntimeExit, RuntimeLimits, RuntimeProcess, SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";

export const TEST_LIMITS: RuntimeLimits = { memoryMb: 256, cpus: 1, cpuSeconds: 20, pids: 32, fileSizeMb: 8, workDirMb: 16 };

export interface FinishedRun {
  stdout: string;
  stderr: string;
  exit: RuntimeExit;
}

export async function startPython(runtime: SandboxRuntime, code: string, limits: Partial<RuntimeLimits> = {}): Promise<RuntimeProcess> {
  const proc = await runtime.start({
    id: `test-${crypto.randomUUID()}`,
    command: ["python3", "-c", code],
    limits: { ...TEST_LIMITS, ...limits },
  });
  proc.stdin.end();
  return proc;
}

export async function finish(proc: RuntimeProcess): Promise<FinishedRun> {
  const [stdout, stderr, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, exit };
}

export async function runPython(runtime: SandboxRuntime, code: string, limits: Partial<RuntimeLimits> = {}): Promise<FinishedRun> {
  return finish(await startPython(runtime, code, limits));
}

/** Reads stdout until `marker` shows up, so a test knows the program got going. */
export async function waitForOutput(stream: ReadableStream<Uint8Array>, marker: string): Promise<void> {
  const decoder = new TextDecoder();
  let seen = "";
  const reader = stream.getReader();
  try {
    while (!seen.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${JSON.stringify(marker)}; got ${JSON.stringify(seen)}`);
      seen += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}
