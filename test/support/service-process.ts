import type { Subprocess } from "bun";

/**
 * A server the tests start as its own process (redis-server, DynamoDB Local, a proxy replica): on a
 * free loopback port, ready only once it answers, stopped with SIGTERM (then SIGKILL), and never
 * left behind if the test run dies. Its stderr is kept for the error that says why it did not start.
 */

export const loopback = "127.0.0.1";
const stopTimeoutMs = 5_000;
/** Another process may take the free port between our probe and the server binding it: try again. */
const portAttempts = 3;

export interface ServiceProcess {
  /** SIGTERM, then SIGKILL if it lingers; resolves with the exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
  /** The process id, for tests that read /proc/<pid>. */
  pid: number;
}

export interface ServiceSpec {
  name: string;
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  ready(): Promise<boolean>;
  startupTimeoutMs: number;
}

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

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
  const output = collect(child);
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
      throw new Error(`${spec.name} did not start:\n${output()}`);
    }
    await Bun.sleep(25);
  }
  return { stop, pid: child.pid };
}

/** Drains stderr as it comes (a full pipe would block the child) and keeps its last 8 KB. */
function collect(child: Subprocess<"ignore", "ignore", "pipe">): () => string {
  let tail = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8_192);
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
