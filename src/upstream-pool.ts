import { dlopen, FFIType, ptr } from "bun:ffi";
import type { Config } from "./config.ts";
import type { Logger } from "../lib/log.ts";

/**
 * Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS requests at once (256 unless set) and queues
 * the rest, so the 257th concurrent stream would wait, silent, for a slot. Bun reads the variable only
 * when the process starts: setting it in process.env afterwards changes nothing (measured). So the
 * entry point, before it starts anything, re-executes itself once with the variable set from
 * UPSTREAM_MAX_CONNECTIONS. It is an execve: the same process (pid, stdio, signals) goes on as a
 * fresh Bun, so nothing supervises a child and nothing is left behind if it is killed.
 */
export function sizeUpstreamPool(config: Config, env: Record<string, string | undefined>, log: Logger): void {
  const wanted = String(config.UPSTREAM_MAX_CONNECTIONS);
  if (env.BUN_CONFIG_MAX_HTTP_REQUESTS === wanted) return;
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const failure = execve(process.execPath, argv, { ...env, BUN_CONFIG_MAX_HTTP_REQUESTS: wanted });
  log.warn("could not restart with the upstream pool sized: Bun's fetch keeps its own cap; set BUN_CONFIG_MAX_HTTP_REQUESTS in the environment", {
    wanted,
    current: env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? "256 (unset)",
    error: failure,
  });
}

/** Replaces this process with the program at `path`; returns only when that failed, saying why. */
function execve(path: string, argv: string[], env: Record<string, string | undefined>): string {
  try {
    const libc = dlopen(process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6", {
      execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    });
    const args = cStrings(argv);
    const variables = cStrings(Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`])));
    const file = Buffer.from(`${path}\0`);
    libc.symbols.execve(ptr(file), ptr(args.pointers), ptr(variables.pointers));
    return "execve returned";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A NULL-terminated array of C strings; the buffers are returned too, to keep them alive until the call. */
function cStrings(values: string[]): { strings: Buffer[]; pointers: BigUint64Array } {
  const strings = values.map((value) => Buffer.from(`${value}\0`));
  const pointers = new BigUint64Array(values.length + 1);
  strings.forEach((string, i) => {
    pointers[i] = BigInt(ptr(string));
  });
  return { strings, pointers };
}
