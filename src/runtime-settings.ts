import { dlopen, FFIType, ptr } from "bun:ffi";
import type { Config } from "./config.ts";
import type { Logger } from "../lib/log.ts";

/**
 * Settings Bun reads from the environment only when the process starts; setting them in process.env
 * afterwards changes nothing (measured):
 * - BUN_CONFIG_MAX_HTTP_REQUESTS: Bun's fetch runs at most this many requests at once (256 unless
 *   set) and queues the rest, so the 257th concurrent stream would wait, silent, for a slot. Set from
 *   UPSTREAM_MAX_CONNECTIONS.
 * - MIMALLOC_PURGE_DELAY: whether the allocator hands freed memory back to the OS, which a busy proxy
 *   then faults in again, page by page, on every request (docs/performance.md#allocator).
 * So the entry point, before it starts anything, re-executes itself once with them set. It is an
 * execve: the same process (pid, stdio, signals) goes on as a fresh Bun, so nothing supervises a
 * child and nothing is left behind if it is killed.
 */
export function applyRuntimeSettings(config: Config, env: Record<string, string | undefined>, log: Logger): void {
  const wanted = runtimeSettings(config);
  const differing = Object.entries(wanted).filter(([name, value]) => env[name] !== value);
  if (differing.length === 0) return;
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const failure = execve(process.execPath, argv, { ...env, ...wanted });
  log.warn("could not restart with Bun's start-up settings; set them in the environment", {
    wanted: Object.fromEntries(differing),
    current: Object.fromEntries(differing.map(([name]) => [name, env[name] ?? "(unset)"])),
    error: failure,
  });
}

/** The environment Bun must start with, as this configuration asks. */
export function runtimeSettings(config: Pick<Config, "UPSTREAM_MAX_CONNECTIONS" | "MIMALLOC_PURGE_DELAY">): Record<string, string> {
  return { BUN_CONFIG_MAX_HTTP_REQUESTS: String(config.UPSTREAM_MAX_CONNECTIONS), MIMALLOC_PURGE_DELAY: String(config.MIMALLOC_PURGE_DELAY) };
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
