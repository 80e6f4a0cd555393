/**
 * SandboxRuntime on bubblewrap. What isolates and limits (verified by
 * test/sandbox/runtime):
 *  - namespaces: --unshare-all (no network, not even the host's loopback),
 *    private pid/ipc/uts/mount/user/cgroup namespaces, and no further user
 *    namespace inside (--disable-userns);
 *  - environment: bwrap and everything in the sandbox get SANDBOX_ENVIRONMENT
 *    only, never the service's (pid 1 inside is bwrap, its environ readable);
 *  - filesystem: read-only /usr (+ a few /etc files) and runner at /runner,
 *    private /proc and a read-only private /dev, private sized tmpfs at /work,
 *    /tmp and /dev/shm, and the root remounted read-only;
 *  - identity: uid/gid 65534 inside, a *private* host uid from a dedicated
 *    range outside (setpriv), no capabilities, no_new_privs;
 *  - limits: rlimits via prlimit (see bwrap-args.ts). There is no writable
 *    cgroup v2 here (the host has cgroup v1 only), so `limits.cpus` is NOT
 *    enforced by this runtime, and memory is per process (RLIMIT_AS), not
 *    per sandbox: the worst case is pids × memoryMb.
 *  - lifetime: --die-with-parent; kill() SIGKILLs bwrap (the command, pid 1
 *    inside by --as-pid-1, dies with it and the kernel kills the whole pid
 *    namespace) and then every process of the sandbox uid, as a backstop.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { bwrapArgv, DEFAULT_BINARIES, type BwrapBinaries } from "./bwrap-args.ts";
import { killAllOwnedBy, processesOwnedBy } from "./host-processes.ts";
import { looksOutOfMemory, StderrTail } from "./oom-detector.ts";
import { decodeExit } from "./exit-status.ts";
import { type RuntimeExit, type RuntimeLimits, type RuntimeProcess, type RuntimeSpec, SANDBOX_ENVIRONMENT, type SandboxRuntime } from "./types.ts";
import { UidPool } from "./uid-pool.ts";

/** Enough for check()'s probe, which runs `true`. */
const PROBE_LIMITS: RuntimeLimits = { memoryMb: 64, cpus: 1, cpuSeconds: 5, pids: 4, fileSizeMb: 1, workDirMb: 1 };

/** The runner's files in this repo, bound read-only at /runner. */
export const RUNNER_SOURCE_DIR = resolve(import.meta.dir, "../../runner");

export interface BwrapRuntimeOptions {
  /** Host uids [uidBase, uidBase + uidCount) belong to this service's sandboxes only. */
  uidBase?: number;
  uidCount?: number;
  binaries?: BwrapBinaries;
  /** Host folder bound at /runner; must be world-readable. */
  runnerDir?: string;
}

export class BwrapRuntime implements SandboxRuntime {
  readonly kind = "bwrap" as const;
  private readonly uids: UidPool;
  private readonly bins: BwrapBinaries;
  private readonly runnerDir: string;

  constructor(options: BwrapRuntimeOptions = {}) {
    this.uids = new UidPool(options.uidBase ?? 100_000, options.uidCount ?? 1000);
    this.bins = options.binaries ?? DEFAULT_BINARIES;
    this.runnerDir = options.runnerDir ?? RUNNER_SOURCE_DIR;
  }

  /**
   * The binaries are there, the service runs as root, and bwrap can make a sandbox here. In a container
   * with Docker's default security options it cannot (no namespaces for an unprivileged process, no fresh
   * /proc): refused at start-up, saying what the container needs, rather than every session failing later.
   */
  async check(): Promise<void> {
    this.assertInstalled();
    // setpriv hands each sandbox a host uid of its own (RLIMIT_NPROC counts per uid): only root may.
    if (process.getuid?.() !== 0) {
      throw new Error("bwrap gives each sandbox a host uid of its own, which needs root: run the service as root (in a container, --user 0), or use SANDBOX_RUNTIME=docker");
    }
    const probe = await this.start({ id: "check", command: ["/usr/bin/true"], limits: PROBE_LIMITS });
    probe.stdin.end();
    const [stderr, exit] = await Promise.all([new Response(probe.stderr).text(), probe.exited, new Response(probe.stdout).text()]);
    if (exit.code === 0) return;
    throw new Error(
      `bwrap cannot make a sandbox here (${stderr.trim() || `exit ${exit.code ?? exit.signal}`}). In a container, run the service with ` +
        "--security-opt seccomp=unconfined --security-opt systempaths=unconfined (and apparmor=unconfined where AppArmor confines containers), or use SANDBOX_RUNTIME=docker",
    );
  }

  async start(spec: RuntimeSpec): Promise<RuntimeProcess> {
    this.assertInstalled();
    const uid = this.uids.allocate();
    try {
      const child = Bun.spawn(bwrapArgv(spec, uid, this.runnerDir, this.bins), {
        // bwrap's own processes (its pid-namespace init is pid 1 inside, readable by the code) get
        // this and nothing of the service's environment.
        env: { ...SANDBOX_ENVIRONMENT },
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      return new BwrapProcess(spec.id, child, uid, () => this.uids.release(uid));
    } catch (error) {
      this.uids.release(uid);
      throw error;
    }
  }

  /** /work, /tmp and /dev/shm, each of `workDirMb`, charged to the host with no cgroup around them. */
  hostTmpfsMb(limits: RuntimeLimits): number {
    return 3 * limits.workDirMb;
  }

  /** A process of a uid in our range that we did not hand out belongs to a sandbox we lost (or an earlier run's). */
  async reapOrphans(): Promise<number> {
    const orphaned = (uid: number) => this.uids.isUnclaimed(uid);
    const sandboxes = new Set((await processesOwnedBy(orphaned)).map((p) => p.uid));
    if (sandboxes.size > 0) await killAllOwnedBy(orphaned);
    return sandboxes.size;
  }

  private assertInstalled(): void {
    for (const [name, path] of Object.entries(this.bins)) {
      if (!existsSync(path)) {
        const pkg = name === "bwrap" ? "bubblewrap" : "util-linux";
        throw new Error(`${name} not found at ${path}: apt-get install ${pkg}`);
      }
    }
  }
}

type SpawnedSandbox = Bun.Subprocess<"pipe", "pipe", "pipe">;

class BwrapProcess implements RuntimeProcess {
  readonly stdin: SpawnedSandbox["stdin"];
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<RuntimeExit>;
  private killedByUs = false;

  constructor(
    readonly id: string,
    private readonly child: SpawnedSandbox,
    private readonly uid: number,
    releaseUid: () => void,
  ) {
    this.stdin = child.stdin;
    this.stdout = child.stdout;
    // One branch for the caller, one for spotting out-of-memory messages.
    const [forCaller, forOomScan] = child.stderr.tee();
    this.stderr = forCaller;
    const tail = new StderrTail(forOomScan);
    this.exited = this.waitForExit(tail).finally(releaseUid);
  }

  private async waitForExit(tail: StderrTail): Promise<RuntimeExit> {
    const rawCode = await this.child.exited;
    // Backstop: nothing of this uid may outlive the sandbox (uid gets reused).
    await killAllOwnedBy((uid) => uid === this.uid);
    await tail.done;
    const { code, signal } = decodeExit(rawCode, this.child.signalCode);
    return {
      code,
      signal,
      killed: this.killedByUs,
      oomKilled: looksOutOfMemory({ signal, killedByUs: this.killedByUs, stderrSaysOom: tail.mentionsOutOfMemory() }),
    };
  }

  async kill(): Promise<void> {
    this.killedByUs = true;
    this.child.kill("SIGKILL");
    await killAllOwnedBy((uid) => uid === this.uid);
    await this.exited;
  }
}
