/**
 * SandboxRuntime on bubblewrap. What isolates and limits (verified by
 * test/sandbox/runtime):
 *  - namespaces: --unshare-all (no network, not even the host's loopback),
 *    private pid/ipc/uts/mount/user/cgroup namespaces;
 *  - filesystem: read-only /usr (+ a few /etc files), private /tmp, /proc,
 *    /dev, the work dir read-write at /work, and the root remounted read-only;
 *  - identity: uid/gid 65534 inside, a *private* host uid from a dedicated
 *    range outside (setpriv), no capabilities, no_new_privs;
 *  - limits: rlimits via prlimit (see bwrap-args.ts). There is no writable
 *    cgroup v2 here (the host has cgroup v1 only), so `limits.cpus` is NOT
 *    enforced by this runtime, and memory is per process (RLIMIT_AS), not
 *    per sandbox: the worst case is pids × memoryMb.
 *  - lifetime: --die-with-parent; kill() SIGKILLs bwrap (its pid-1 dies and
 *    the kernel kills the whole pid namespace) and then every process of the
 *    sandbox uid, as a backstop.
 */
import { existsSync } from "node:fs";
import { bwrapArgv, DEFAULT_BINARIES, type BwrapBinaries } from "./bwrap-args.ts";
import { killAllOwnedBy } from "./host-processes.ts";
import { looksOutOfMemory, StderrTail } from "./oom-detector.ts";
import type { RuntimeExit, RuntimeProcess, RuntimeSpec, SandboxRuntime } from "./types.ts";
import { UidPool } from "./uid-pool.ts";
import { giveWorkDirTo } from "./work-dir.ts";

export interface BwrapRuntimeOptions {
  /** Host uids [uidBase, uidBase + uidCount) belong to this service's sandboxes only. */
  uidBase?: number;
  uidCount?: number;
  binaries?: BwrapBinaries;
}

export class BwrapRuntime implements SandboxRuntime {
  readonly kind = "bwrap" as const;
  private readonly uids: UidPool;
  private readonly bins: BwrapBinaries;

  constructor(options: BwrapRuntimeOptions = {}) {
    this.uids = new UidPool(options.uidBase ?? 100_000, options.uidCount ?? 1000);
    this.bins = options.binaries ?? DEFAULT_BINARIES;
  }

  async start(spec: RuntimeSpec): Promise<RuntimeProcess> {
    this.assertInstalled();
    const uid = this.uids.allocate();
    try {
      await giveWorkDirTo(spec.workDir, uid, uid);
      const child = Bun.spawn(bwrapArgv(spec, uid, this.bins), {
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

  /** Every process of a uid in our range is a sandbox left by an earlier run of the service. */
  async reapOrphans(): Promise<number> {
    return killAllOwnedBy((uid) => this.uids.contains(uid));
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

/**
 * bwrap passes on the program's exit code, and reports a program killed by a
 * signal as 128 + signal number (like a shell). Codes above 128 are therefore
 * read as signals; a program that exits 137 on purpose is indistinguishable.
 */
function decodeExit(rawCode: number, bwrapSignal: string | number | null): { code: number | null; signal: string | null } {
  if (typeof bwrapSignal === "number") return { code: null, signal: signalName(bwrapSignal) };
  if (bwrapSignal !== null) return { code: null, signal: bwrapSignal };
  if (rawCode > 128 && rawCode < 128 + 65) return { code: null, signal: signalName(rawCode - 128) };
  return { code: rawCode, signal: null };
}

const SIGNAL_NAMES: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ" };

function signalName(num: number): string {
  return SIGNAL_NAMES[num] ?? `SIG${num}`;
}
