import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulatorProcess } from "../../test/support/emulator-process.ts";
import { startProxyProcess } from "../../test/support/proxy-process.ts";
import { loadConfig } from "../../src/config.ts";
import { runtimeSettings } from "../../src/runtime-settings.ts";
import { testAwsCredentials, testAwsEnv } from "../../test/support/aws-credentials.ts";
import { answersHttp, killAll as killServices, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "../../test/support/service-process.ts";

/**
 * The bench's processes (what it reads of them is in `proc.ts`). The emulator and the proxy run as separate
 * processes, so the proxy's own memory can be read from /proc and neither shares an event loop with
 * the load generator. They are started by the tests' supervisor (test/support/service-process.ts),
 * the one module that spawns, readies, stops and reaps the services of both: an error, Ctrl-C or a
 * plain exit of the bench never leaves one running.
 */

export interface Service extends ServiceProcess {
  name: string;
  url: string;
}

/**
 * The AWS credentials of the bench (made up, the tests' own): the emulator verifies every SigV4
 * signature with them, and the proxies and the forwarder sign with them, so the bench measures SigV4
 * as production pays it.
 */
export const benchAwsCredentials = testAwsCredentials;

/** Scratch directories (the proxies' SQLite files): removed when their process stops, or at exit. */
const scratchDirs = new Set<string>();

/** Kills what is still running and removes the scratch directories; synchronous, for `exit` and signal handlers. */
export function killAll(): void {
  killServices();
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

/** The emulator, verifying SigV4 signatures made with the bench's credentials. */
export async function startEmulator(): Promise<Service> {
  // --max-recorded 0: the request log would otherwise keep 10 000 bodies and grow the emulator's heap.
  return { ...(await startEmulatorProcess(["--max-recorded", "0"])), name: "emulator" };
}

/**
 * The settings Bun starts the proxy with by default (src/runtime-settings.ts: its fetch cap, its
 * allocator's), given to the forwarder too: the floor runs on the same Bun, tuned alike
 * (docs/performance.md#allocator).
 */
const runtimeEnv = runtimeSettings(loadConfig({}));

/** The bare SigV4 forwarder (`forwarder.ts`) in front of the emulator: the floor the proxy is measured against. */
export function startForwarder(emulatorUrl: string): Promise<Service> {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const service = await startServiceProcess({
      name: "forwarder",
      command: [process.execPath, "scripts/bench/forwarder.ts"],
      env: { PATH: process.env.PATH ?? "", ...testAwsEnv, ...runtimeEnv, BEDROCK_ENDPOINT: emulatorUrl, HOST: loopback, PORT: String(port) },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: 20_000,
    });
    return { ...service, name: "forwarder", url };
  });
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

export async function startProxy(options: ProxyOptions): Promise<Service> {
  const profiling = options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const preload = options.preload ? ["--preload", options.preload] : [];
  const scratch = options.env?.SQLITE_PATH ? undefined : scratchDir("bench-proxy-");
  const name = options.name ?? "proxy";
  const env = {
    BEDROCK_ENDPOINT: options.emulatorUrl,
    // SigV4, as with IAM credentials in production: the emulator verifies each signature.
    ...testAwsEnv,
    // At info the proxy writes one JSON line per request: that would measure stderr, not the proxy.
    LOG_LEVEL: "warn",
    AUTH_MODE: "open",
    STORE: "sqlite",
    ...(scratch ? { SQLITE_PATH: join(scratch, "proxy.db") } : {}),
    ...options.env,
  };
  try {
    const proxy = await startProxyProcess(env, { bunFlags: [...profiling, ...preload], name });
    return {
      ...proxy,
      name,
      async stop() {
        const code = await proxy.stop();
        if (scratch) removeScratchDir(scratch);
        return code;
      },
    };
  } catch (error) {
    if (scratch) removeScratchDir(scratch);
    throw error;
  }
}
