/**
 * The prlimit(1) options both runtimes apply to the sandboxed program (bwrap
 * from outside, Docker from inside the image). Docker adds a cgroup on top;
 * for bwrap these are the only limits (no writable cgroup here).
 */
import type { RuntimeLimits } from "./types.ts";

const MB = 1024 * 1024;

/** `nproc`: RLIMIT_NPROC counts per host uid, so only a runtime with a uid of its own per sandbox may set it. */
export function prlimitOptions(limits: RuntimeLimits, nproc?: number): string[] {
  const options = [
    // RLIMIT_AS: an allocation past it fails (CPython raises MemoryError) instead of
    // the whole sandbox being killed, so the code's own error reaches the caller.
    `--as=${limits.memoryMb * MB}`,
    // RLIMIT_CPU: soft limit sends SIGXCPU, the hard one a second later SIGKILL.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    // RLIMIT_FSIZE: writes past it fail with EFBIG (Python ignores SIGXFSZ).
    `--fsize=${limits.fileSizeMb * MB}`,
    "--core=0",
    "--nofile=256",
  ];
  if (nproc !== undefined) options.push(`--nproc=${nproc}`);
  return options;
}
