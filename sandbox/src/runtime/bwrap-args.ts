/**
 * Builds the argv that starts one bubblewrap sandbox:
 *
 *   prlimit <rlimits> -- setpriv <drop to sandbox uid> -- bwrap <isolation> -- <command>
 *
 * prlimit and setpriv both exec, so the spawned pid *is* bwrap's monitor
 * process, and killing it tears the whole sandbox down.
 */
import { prlimitOptions } from "./rlimits.ts";
import { SANDBOX_ENVIRONMENT, SANDBOX_INSIDE_ID, SANDBOX_RUNNER_DIR, SANDBOX_WORK_DIR, type RuntimeSpec } from "./types.ts";

export interface BwrapBinaries {
  prlimit: string;
  setpriv: string;
  bwrap: string;
}

export const DEFAULT_BINARIES: BwrapBinaries = {
  prlimit: "/usr/bin/prlimit",
  setpriv: "/usr/bin/setpriv",
  bwrap: "/usr/bin/bwrap",
};

/**
 * bwrap itself takes processes of the uid: its monitor and the command. They
 * count against RLIMIT_NPROC, so they are added on top of what the caller asked for.
 */
const BWRAP_OWN_PROCESSES = 2;

const MB = 1024 * 1024;

/** Read-only pieces of the host the program needs; anything else is simply absent. */
const SYSTEM_BINDS = ["/usr"];
const SYSTEM_BIND_IF_PRESENT = ["/etc/ld.so.cache", "/etc/localtime", "/etc/python3", "/etc/python3.11", "/etc/ssl", "/etc/mime.types"];

export function bwrapArgv(spec: RuntimeSpec, hostUid: number, runnerDir: string, bins: BwrapBinaries = DEFAULT_BINARIES): string[] {
  const { limits } = spec;
  // RLIMIT_NPROC counts per real uid, which is why each sandbox gets a host uid of its own.
  const rlimits = prlimitOptions(limits, limits.pids + BWRAP_OWN_PROCESSES);

  const dropPrivileges = [
    `--reuid=${hostUid}`,
    `--regid=${hostUid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
  ];

  const isolation: string[] = [
    // Every namespace, network included: the sandbox has only its own loopback.
    "--unshare-all",
    // No user namespace of its own inside (where the code would be root and reach more of the
    // kernel); bwrap needs the user namespace asked for explicitly to lock it.
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    // The command is pid 1 inside: no bwrap init there, which holds the sandbox's stdio (the
    // service's channel) and, running as the sandbox's uid, would let the code open
    // /proc/1/fd/1. The command reaps what the code orphans (the runner does).
    "--as-pid-1",
    // New session: the program cannot push input into our terminal (TIOCSTI).
    "--new-session",
    "--cap-drop", "ALL",
    "--uid", String(SANDBOX_INSIDE_ID),
    "--gid", String(SANDBOX_INSIDE_ID),
    "--hostname", "sandbox",
  ];
  for (const path of SYSTEM_BINDS) isolation.push("--ro-bind", path, path);
  isolation.push("--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin");
  for (const path of SYSTEM_BIND_IF_PRESENT) isolation.push("--ro-bind-try", path, path);
  // /tmp, /dev/shm and /work are RAM-backed and private to this sandbox: sized, or many files each
  // under RLIMIT_FSIZE could fill memory; they vanish with it.
  const tmpfsSize = String(limits.workDirMb * MB);
  isolation.push("--proc", "/proc", "--dev", "/dev", "--size", tmpfsSize, "--tmpfs", "/tmp");
  // --dev's own tmpfs has no size: /dev/shm gets a sized one of its own, or it would be a way to fill RAM.
  isolation.push("--size", tmpfsSize, "--tmpfs", "/dev/shm");
  isolation.push("--ro-bind", runnerDir, SANDBOX_RUNNER_DIR);
  isolation.push("--size", tmpfsSize, "--perms", "0700", "--tmpfs", SANDBOX_WORK_DIR, "--chdir", SANDBOX_WORK_DIR);
  // After all mounts: the root and --dev's (unsized) tmpfs become read-only, so writes outside
  // /work, /tmp and /dev/shm fail; writing to device nodes such as /dev/null still works.
  isolation.push("--remount-ro", "/", "--remount-ro", "/dev");
  isolation.push("--clearenv");
  for (const [name, value] of Object.entries(SANDBOX_ENVIRONMENT)) isolation.push("--setenv", name, value);

  return [bins.prlimit, ...rlimits, "--", bins.setpriv, ...dropPrivileges, "--", bins.bwrap, ...isolation, "--", ...spec.command];
}
