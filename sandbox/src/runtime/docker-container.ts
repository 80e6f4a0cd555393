/**
 * The container one Docker sandbox runs in, as a pure function of the spec:
 *  - no network at all (`none`: only a loopback of its own);
 *  - read-only root; /work, /tmp and /dev/shm are private sized tmpfs (they
 *    count against the memory cgroup, and vanish with the container);
 *  - cgroup limits for the whole container: memory (swap included, so no
 *    swap), CPU share, pids; prlimit rlimits per process inside (see rlimits.ts);
 *  - uid/gid 65534, every capability dropped, no-new-privileges, private IPC
 *    (a sized /dev/shm), Docker's default seccomp profile, first to go when the
 *    host runs out of memory;
 *  - the command as pid 1, no init: docker-init would hold the container's
 *    stdio (the service's channel) as the sandbox's uid, so the code could
 *    open /proc/1/fd/1. The runner reaps what the code orphans; when the
 *    service's attach connection closes, stdin closes (StdinOnce), the runner
 *    exits, and the container ends with it.
 * Labels mark it as ours, so a restarted service can find and remove it.
 */
import type { ContainerCreateOptions } from "dockerode";
import { prlimitOptions } from "./rlimits.ts";
import { SANDBOX_ENVIRONMENT, SANDBOX_INSIDE_ID, SANDBOX_WORK_DIR, type RuntimeSpec } from "./types.ts";

/** Label carrying the scope (one per service); its value tells services sharing a daemon apart. */
export const SCOPE_LABEL = "abp.sandbox.scope";
export const ID_LABEL = "abp.sandbox.id";

const MB = 1024 * 1024;
const CFS_PERIOD_US = 10_000;

export function containerOptions(spec: RuntimeSpec, image: string, scope: string): ContainerCreateOptions {
  const { limits } = spec;
  const tmpfs = `rw,nosuid,nodev,size=${limits.workDirMb}m,mode=0700,uid=${SANDBOX_INSIDE_ID},gid=${SANDBOX_INSIDE_ID}`;
  return {
    Image: image,
    Cmd: ["prlimit", ...prlimitOptions(limits), "--", ...spec.command],
    User: `${SANDBOX_INSIDE_ID}:${SANDBOX_INSIDE_ID}`,
    WorkingDir: SANDBOX_WORK_DIR,
    Env: Object.entries(SANDBOX_ENVIRONMENT).map(([name, value]) => `${name}=${value}`),
    Hostname: "sandbox",
    Labels: { [SCOPE_LABEL]: scope, [ID_LABEL]: spec.id },
    NetworkDisabled: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: { [SANDBOX_WORK_DIR]: tmpfs, "/tmp": tmpfs },
      Memory: limits.memoryMb * MB,
      MemorySwap: limits.memoryMb * MB,
      // The CPU share as a CFS quota over a 10 ms period rather than Docker's 100 ms: a sandbox that
      // spends its share early (a fork per execution does) waits at most ~10 ms for the next period,
      // not ~50 ms, which had put a 40 ms tail on one in twenty tool round trips at 0.5 CPU.
      CpuPeriod: CFS_PERIOD_US,
      CpuQuota: Math.max(1000, Math.round(limits.cpus * CFS_PERIOD_US)),
      PidsLimit: limits.pids,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      IpcMode: "private",
      // /dev/shm is the one other writable place: the same size as /work.
      ShmSize: limits.workDirMb * MB,
      // If the host itself runs short of memory, a sandbox goes first.
      OomScoreAdj: 1000,
      Init: false,
      // Output travels over the attach stream only; nothing is kept in the daemon's logs.
      LogConfig: { Type: "none", Config: {} },
    },
  };
}
