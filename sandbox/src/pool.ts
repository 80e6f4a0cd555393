/**
 * Warm runtimes: `size` runners already started, each in its own sandbox with a fresh work
 * dir, so a new session gets one at once. Taking one starts a replacement in the background.
 */
import type { InstanceOptions } from "./instance.ts";
import { RunnerInstance } from "./instance.ts";

export class WarmPool {
  private readonly idle: RunnerInstance[] = [];
  private readonly busy = new Set<RunnerInstance>();
  /** Starts in flight: close() waits for them, or a runtime started during shutdown would outlive the service. */
  private readonly starting = new Set<Promise<void>>();
  private closed = false;
  lastError: string | undefined;

  constructor(
    private readonly options: InstanceOptions,
    private readonly size: number,
    private readonly log: (message: string) => void = () => {},
  ) {}

  stats(): { idle: number; busy: number; starting: number } {
    return { idle: this.idle.length, busy: this.busy.size, starting: this.starting.size };
  }

  /** Starts runtimes until `size` are idle or starting. */
  fill(): void {
    while (!this.closed && this.idle.length + this.starting.size < this.size) {
      const start: Promise<void> = RunnerInstance.start(this.options)
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
    instance ??= await RunnerInstance.start(this.options);
    if (this.closed) {
      await instance.destroy();
      throw new Error("the service is shutting down");
    }
    this.busy.add(instance);
    this.fill();
    return instance;
  }

  /** Destroys a runtime handed out by take(). */
  async release(instance: RunnerInstance): Promise<void> {
    this.busy.delete(instance);
    await instance.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all([...all.map((instance) => instance.destroy()), ...this.starting]);
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
