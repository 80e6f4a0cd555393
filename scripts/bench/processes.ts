import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/**
 * The emulator and the proxy as separate processes, so the proxy's own memory can be read from
 * /proc and neither shares an event loop with the load generator. Every child is registered so that
 * an error, Ctrl-C or a plain exit of the bench never leaves one running.
 */

const loopback = "127.0.0.1";
const startupTimeoutMs = 15_000;
const stopTimeoutMs = 10_000;
const stderrTailChars = 4_000;

export interface Service {
  name: string;
  url: string;
  pid: number;
  /** The last lines the process wrote to stderr, for error reports. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

/**
 * The AWS credentials of the bench (made up): the emulator verifies every SigV4 signature with them,
 * and the proxies and the forwarder sign with them, so the bench measures SigV4 as production pays it.
 */
export const benchAwsCredentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret-access-key" } as const;
const benchAwsEnv = { AWS_ACCESS_KEY_ID: benchAwsCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: benchAwsCredentials.secretAccessKey, AWS_SESSION_TOKEN: "" };

const running = new Set<Subprocess>();
/** Scratch directories (the proxies' SQLite files): removed when their process stops, or at exit. */
const scratchDirs = new Set<string>();

/** Kills what is still running; synchronous so that it also works from an `exit` handler. */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
  for (const dir of scratchDirs) removeScratchDir(dir);
}

/** A fresh directory under the system's temp dir, removed by `removeScratchDir` or at the latest by `killAll`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.add(dir);
  return dir;
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}

export function spawnService(command: string[], env: Record<string, string>): { child: Subprocess<"ignore", "pipe", "pipe">; tail: () => string } {
  const child = Bun.spawn(command, { env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  running.add(child);
  void child.exited.then(() => running.delete(child));
  let tail = "";
  // Draining stderr keeps a chatty child from blocking on a full pipe; only the tail is kept.
  void (async () => {
    for await (const text of decodeText(child.stderr)) tail = (tail + text).slice(-stderrTailChars);
  })();
  return { child, tail: () => tail };
}

export function stopper(child: Subprocess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(stopTimeoutMs).then(() => false)]);
    if (!exited) child.kill("SIGKILL");
    await child.exited;
    running.delete(child);
  };
}

/** The emulator picks its own free port and prints its URL as its first stdout line; it verifies SigV4. */
export async function startEmulator(): Promise<Service> {
  // --max-recorded 0: the request log would otherwise keep 10 000 bodies and grow the emulator's heap.
  const command = [process.execPath, "emulator/main.ts", "--port", "0", "--host", loopback, "--max-recorded", "0"];
  return startPrintingUrl("emulator", command, benchAwsEnv);
}

/** The bare SigV4 forwarder (`forwarder.ts`) in front of the emulator: the floor the proxy is measured against. */
export function startForwarder(emulatorUrl: string): Promise<Service> {
  return startPrintingUrl("forwarder", [process.execPath, "scripts/bench/forwarder.ts"], { ...benchAwsEnv, BEDROCK_ENDPOINT: emulatorUrl, HOST: loopback });
}

async function startPrintingUrl(name: string, command: string[], env: Record<string, string>): Promise<Service> {
  const { child, tail } = spawnService(command, env);
  const url = await withTimeout(firstLine(child.stdout), startupTimeoutMs, () => `${name} did not start:\n${tail()}`);
  return { name, url: url.trim(), pid: child.pid, stderrTail: tail, stop: stopper(child) };
}

export interface ProxyOptions {
  emulatorUrl: string;
  /** When set, the proxy runs under Bun's CPU profiler and writes its profile here on exit. */
  cpuProfileDir?: string;
  /** A module Bun preloads into the proxy: lets an experiment swap a part of src/ without editing it. */
  preload?: string;
  /**
   * The proxy's gateway settings (AUTH_MODE, STORE, SQLITE_PATH, REDIS_URL, …), over the defaults:
   * open mode (no key needed: the bench measures the proxy, not its keys) on a SQLite file of its own
   * in a scratch directory, so no run ever touches ./data or finds another run's usage.
   */
  env?: Record<string, string>;
  /** Names the process in reports and errors; "proxy" unless set. */
  name?: string;
}

/** The proxy logs its URL only at info level, so its port is chosen here and readiness polled. */
export async function startProxy(options: ProxyOptions): Promise<Service> {
  const port = await freePort();
  const profiling = options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const preload = options.preload ? ["--preload", options.preload] : [];
  const scratch = options.env?.SQLITE_PATH ? undefined : scratchDir("bench-proxy-");
  const name = options.name ?? "proxy";
  const { child, tail } = spawnService([process.execPath, ...profiling, ...preload, "src/main.ts"], {
    PORT: String(port),
    HOST: loopback,
    BEDROCK_ENDPOINT: options.emulatorUrl,
    // SigV4, as with IAM credentials in production: the emulator verifies each signature.
    ...benchAwsEnv,
    // At info the proxy writes one JSON line per request: that would measure stderr, not the proxy.
    LOG_LEVEL: "warn",
    AUTH_MODE: "open",
    STORE: "sqlite",
    // Limits in this process's memory unless a caller names a Redis: never one the environment happens to name.
    REDIS_URL: "",
    ...(scratch ? { SQLITE_PATH: join(scratch, "proxy.db") } : {}),
    ...options.env,
  });
  const url = `http://${loopback}:${port}`;
  const stop = stopper(child);
  try {
    await withTimeout(untilHealthy(url, child), startupTimeoutMs, () => `${name} did not become healthy:\n${tail()}`);
  } catch (error) {
    await stop();
    if (scratch) removeScratchDir(scratch);
    throw error;
  }
  return {
    name,
    url,
    pid: child.pid,
    stderrTail: tail,
    async stop() {
      await stop();
      if (scratch) removeScratchDir(scratch);
    },
  };
}

async function untilHealthy(url: string, child: Subprocess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await Bun.sleep(50);
  }
}

/** Binds port 0, reads the port the kernel chose, and releases it for the child to take. */
export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: loopback, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function* decodeText(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const bytes of stream) yield decoder.decode(bytes, { stream: true });
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const piece of decodeText(stream)) {
    text += piece;
    const end = text.indexOf("\n");
    if (end >= 0) return text.slice(0, end);
  }
  throw new Error("stream ended before a full line");
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MemoryReading {
  /** Resident set size now, in bytes. */
  rss: number;
  /** Peak resident set size since start or since the last `resetPeakRss`, in bytes. */
  peakRss: number;
}

export async function readMemory(pid: number): Promise<MemoryReading> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return { rss: statusKb(status, "VmRSS") * 1024, peakRss: statusKb(status, "VmHWM") * 1024 };
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]);
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream architecture. */
const clockTicksPerSecond = 100;

/** CPU time (user + system, all threads) the process has used so far, in seconds. */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  // Fields after the parenthesised command name, which may itself contain spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/**
 * Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0), so a phase's peak is its
 * own and not left over from an earlier phase. Returns false where the kernel does not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
