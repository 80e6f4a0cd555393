/**
 * One interface over the locked-down runtimes (Docker and bubblewrap) that run
 * model-written Python. The service talks to the runner inside over
 * stdin/stdout; everything about isolation and limits lives behind `start()`.
 *
 * Every runtime gives its program the same world: cwd /work, a private tmpfs of
 * `workDirMb` that lives exactly as long as the runtime (so files persist
 * across the executions of one session and vanish with it), a private /tmp of
 * the same size, the runner read-only at /runner, a read-only system, no
 * network, a non-root uid with no capabilities.
 */

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
  /** Size of the /work tmpfs (and, separately, of /tmp). */
  workDirMb: number;
}

export interface RuntimeSpec {
  /** Caller-chosen id, used for naming/labels and diagnostics. */
  id: string;
  /** argv run inside the sandbox, e.g. ["python3", "/runner/runner.py"]. */
  command: string[];
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

/** The program's stdin: Bun's FileSink has this shape, and Docker's attach stream is adapted to it. */
export interface RuntimeStdin {
  write(chunk: string | Uint8Array): unknown;
  flush(): unknown;
  end(): unknown;
}

export interface RuntimeProcess {
  readonly id: string;
  readonly stdin: RuntimeStdin;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<RuntimeExit>;
  /** Ends the sandbox and everything in it at once; resolves when it is gone. */
  kill(): Promise<void>;
}

export interface SandboxRuntime {
  readonly kind: "docker" | "bwrap";
  /** Throws an error that says what to do when this runtime cannot start sandboxes (missing binary, daemon or image). */
  check(): Promise<void>;
  start(spec: RuntimeSpec): Promise<RuntimeProcess>;
  /**
   * Host RAM one sandbox's RAM-backed file systems may take beyond its memory limit, in MB: what
   * the service's SANDBOX_MAX_TMPFS_MB budget is counted in (0 where the sandbox's own limit covers them).
   */
  hostTmpfsMb(limits: RuntimeLimits): number;
  /**
   * Removes the sandboxes of this runtime's scope (bwrap: its uid range, docker: its label)
   * that this instance is not running: all of them at start-up (left by a crash), and any
   * lost since. Returns how many sandboxes were removed.
   */
  reapOrphans(): Promise<number>;
}

/** Where the work dir appears inside every runtime. */
export const SANDBOX_WORK_DIR = "/work";
/** Where the runner's files appear inside every runtime (read-only). */
export const SANDBOX_RUNNER_DIR = "/runner";
/**
 * The whole environment of everything a runtime starts, inside and out: the runner needs no more,
 * and nothing of the service's own environment (SANDBOX_TOKEN above all) may reach a process the
 * code can read /proc/<pid>/environ of.
 */
export const SANDBOX_ENVIRONMENT: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: SANDBOX_WORK_DIR,
  LANG: "C.UTF-8",
};
/** uid/gid the program runs as inside every runtime ("nobody"). */
export const SANDBOX_INSIDE_ID = 65534;
