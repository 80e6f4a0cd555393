/**
 * Warm runtimes: `size` runners already started and announced (instance.ts), each in its own
 * sandbox with a fresh work dir, so a new session gets one at once. Taking one starts a
 * replacement in the background, a moment later (`REFILL_DELAY_MS`).
 *
 * Every sandbox alive (warm, in a session, starting or being destroyed) claims the host RAM its
 * file systems may take (SandboxRuntime.hostTmpfsMb); the claims together stay within
 * `maxTmpfsMb`, and a start past it is refused (a session gets 503) rather than made.
 */
import type { InstanceOptions } from "./instance.ts";
import { RunnerInstance } from "./instance.ts";

/**
 * A taken runtime's replacement starts this long after the take. Started at once, its interpreter's
 * start-up (some 130 ms of CPU on the 2-core machine) ran beside the new session's first execution,
 * which then took three times as long (docs/performance.md#sandbox-sessions). A take that finds no
 * idle runtime still starts one at once.
 */
const REFILL_DELAY_MS = 250;

export interface PoolOptions {
  /** Runtimes kept started and ready. */
  size: number;
  /** Host RAM, in MB, all sandboxes' RAM-backed file systems together may claim (SANDBOX_MAX_TMPFS_MB). */
  maxTmpfsMb: number;
  /** Told how long each runtime start took and whether it came up (metrics). */
  onStart?: ((ms: number, ok: boolean) => void) | undefined;
}

export class WarmPool {
  private readonly idle: RunnerInstance[] = [];
  private readonly busy = new Set<RunnerInstance>();
  /** Starts in flight: close() waits for them, or a runtime started during shutdown would outlive the service. */
  private readonly starting = new Set<Promise<void>>();
  private closed = false;
  /** Sandboxes started and not yet gone, each claiming `tmpfsMbEach`. */
  private alive = 0;
  private readonly size: number;
  private readonly tmpfsMbEach: number;
  private readonly onStart: PoolOptions["onStart"];
  /** Sandboxes the tmpfs budget allows at once. */
  readonly capacity: number;
  lastError: string | undefined;

  constructor(
    private readonly options: InstanceOptions,
    pool: PoolOptions,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.size = pool.size;
    this.onStart = pool.onStart;
    this.tmpfsMbEach = options.runtime.hostTmpfsMb(options.limits);
    this.capacity = this.tmpfsMbEach > 0 ? Math.floor(pool.maxTmpfsMb / this.tmpfsMbEach) : Number.POSITIVE_INFINITY;
  }

  stats(): { idle: number; busy: number; starting: number } {
    return { idle: this.idle.length, busy: this.busy.size, starting: this.starting.size };
  }

  /** Starts runtimes until `size` are idle or starting. */
  fill(): void {
    while (!this.closed && this.idle.length + this.starting.size < this.size && this.alive < this.capacity) {
      const start: Promise<void> = this.launch()
        .then((instance) => {
          if (this.closed) return instance.destroy();
          this.lastError = undefined;
          this.idle.push(instance);
          // A warm runtime that dies while idle leaves the pool (and is replaced).
          void instance.exited.then(() => this.dropIdle(instance));
        })
        .catch((error: unknown) => {
          this.lastError = error instanceof Error ? error.message : String(error);
          this.log(`warm runtime failed to start: ${this.lastError}`);
        })
        .finally(() => {
          this.starting.delete(start);
        });
      this.starting.add(start);
    }
  }

  /** A live runtime for a session: a warm one when there is one, else a new one (awaited). */
  async take(): Promise<RunnerInstance> {
    let instance: RunnerInstance | undefined;
    while ((instance = this.idle.shift()) !== undefined && !instance.alive) void instance.destroy();
    instance ??= await this.launch();
    if (this.closed) {
      await instance.destroy();
      throw new Error("the service is shutting down");
    }
    this.busy.add(instance);
    setTimeout(() => this.fill(), REFILL_DELAY_MS).unref?.();
    return instance;
  }

  /** Destroys a runtime handed out by take(); its tmpfs claim is free when this resolves. */
  async release(instance: RunnerInstance): Promise<void> {
    this.busy.delete(instance);
    await instance.destroy();
    await instance.exited;
    this.fill();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all([...all.map((instance) => instance.destroy()), ...this.starting]);
  }

  /** Starts a runtime if the tmpfs budget has room; its claim lasts until the runtime has exited. */
  private async launch(): Promise<RunnerInstance> {
    if (this.alive >= this.capacity) {
      throw new Error(`the sandboxes' RAM-backed file systems would pass SANDBOX_MAX_TMPFS_MB (${this.capacity} sandboxes of ${this.tmpfsMbEach} MB are running)`);
    }
    this.alive += 1;
    const started = performance.now();
    try {
      const instance = await RunnerInstance.start(this.options);
      this.onStart?.(performance.now() - started, true);
      // Registered first, so whoever awaits `exited` later sees the claim already given back.
      void instance.exited.then(() => {
        this.alive -= 1;
      });
      return instance;
    } catch (error) {
      this.onStart?.(performance.now() - started, false);
      this.alive -= 1;
      throw error;
    }
  }

  private dropIdle(instance: RunnerInstance): void {
    const index = this.idle.indexOf(instance);
    if (index === -1) return;
    this.idle.splice(index, 1);
    void instance.destroy();
    // Back off a little so a runtime that dies at once does not spin.
    setTimeout(() => this.fill(), 1000).unref?.();
  }
}
