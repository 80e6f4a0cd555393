/**
 * One interface over the locked-down runtimes (bubblewrap now, Docker later)
 * that run model-written Python. The service talks to the runner inside over
 * stdin/stdout; everything about isolation and limits lives behind `start()`.
 */
import type { FileSink } from "bun";

export interface RuntimeLimits {
  /** Address-space / memory ceiling for the sandboxed program. */
  memoryMb: number;
  /** CPU share (Docker `--cpus`). bwrap cannot enforce this without a cgroup; see bwrap.ts. */
  cpus: number;
  /** CPU *time* budget in seconds (RLIMIT_CPU); wall-clock limits are the caller's job via kill(). */
  cpuSeconds: number;
  /** Maximum number of processes/threads the sandbox may run at once. */
  pids: number;
  /** Largest file the sandbox may write. */
  fileSizeMb: number;
}

export interface RuntimeBind {
  host: string;
  sandbox: string;
}

export interface RuntimeSpec {
  /** Caller-chosen id, used for naming/labels and diagnostics. */
  id: string;
  /** argv run inside the sandbox, e.g. ["python3", "/runner/runner.py"]. */
  command: string[];
  /** Host directory mounted read-write at SANDBOX_WORK_DIR and used as cwd. */
  workDir: string;
  /** Host paths mounted read-only (e.g. the runner's folder). Must be world-readable. */
  readOnlyBinds: RuntimeBind[];
  limits: RuntimeLimits;
}

export interface RuntimeExit {
  /** Exit code of the sandboxed program, or null when it ended by a signal. */
  code: number | null;
  /** Signal name (e.g. "SIGKILL") when the program ended by a signal. */
  signal: string | null;
  /** Best-effort: the program ran out of memory (see each runtime for its heuristic). */
  oomKilled: boolean;
  /** The end was caused by kill(), so it is neither a crash nor an OOM. */
  killed: boolean;
}

export interface RuntimeProcess {
  readonly id: string;
  /** Bun's FileSink: write()/flush()/end(). */
  readonly stdin: FileSink;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<RuntimeExit>;
  /** Ends the sandbox and everything in it at once; resolves when it is gone. */
  kill(): Promise<void>;
}

export interface SandboxRuntime {
  readonly kind: "docker" | "bwrap";
  start(spec: RuntimeSpec): Promise<RuntimeProcess>;
  /** Remove runtimes left by a previous crash of the service; returns how many were removed. */
  reapOrphans(): Promise<number>;
}

/** Where the work dir appears inside every runtime. */
export const SANDBOX_WORK_DIR = "/work";
