import type { Subprocess } from "bun";

/**
 * The one supervisor of the processes the tests and the bench start (redis-server, DynamoDB Local, the
 * emulator, proxy replicas, the sandbox service): on a free loopback port, ready only once it answers,
 * stopped with SIGTERM (then SIGKILL), and never left behind if the run dies. Its stderr is drained
 * and its tail kept, for the error that says why it did not start.
 */

export const loopback = "127.0.0.1";
/** Long enough for a proxy under Bun's CPU profiler to write its profile on SIGTERM. */
const stopTimeoutMs = 10_000;
const stderrTailChars = 8_192;
/** Another process may take the free port between our probe and the server binding it: try again. */
const portAttempts = 3;

export interface ServiceProcess {
  /** SIGTERM, then SIGKILL if it lingers; resolves with the exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
  /** The process id, for tests and the bench that read /proc/<pid>. */
  pid: number;
  /** The last lines it wrote to stderr, for error reports. */
  stderrTail(): string;
}

export interface ServiceSpec {
  name: string;
  command: string[];
  cwd?: string;
  /** The whole environment of the process; unset, it inherits this one's. */
  env?: Record<string, string | undefined>;
  ready(): Promise<boolean>;
  startupTimeoutMs: number;
}

const running = new Set<Subprocess>();
process.on("exit", killAll);

/** Kills every process still running; synchronous, so it also works from an `exit` or signal handler. */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Binds port 0, reads the port the kernel chose, and releases it for the server to take. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: loopback, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Starts `spec(port)` on a free port, trying another port if the first was taken meanwhile. */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(freePort());
    } catch (error) {
      if (attempt >= portAttempts) throw error;
    }
  }
}

export async function startServiceProcess(spec: ServiceSpec): Promise<ServiceProcess> {
  const child = Bun.spawn(spec.command, { cwd: spec.cwd, env: spec.env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  running.add(child);
  void child.exited.then(() => running.delete(child));
  const stderrTail = collect(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(stopTimeoutMs).then(() => false)]);
      if (!exited) child.kill("SIGKILL");
    }
    await child.exited;
    running.delete(child);
    return child.exitCode;
  };
  const deadline = Date.now() + spec.startupTimeoutMs;
  while (!(await spec.ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} did not start${child.exitCode === null ? "" : ` (exit code ${child.exitCode})`}:\n${stderrTail()}`);
    }
    await Bun.sleep(25);
  }
  return { stop, pid: child.pid, stderrTail };
}

/** Drains stderr as it comes (a full pipe would block the child) and keeps its tail. */
function collect(child: Subprocess<"ignore", "ignore", "pipe">): () => string {
  let tail = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-stderrTailChars);
  })();
  return () => tail;
}

/** Any HTTP answer at all means the server is up. */
export async function answersHttp(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
