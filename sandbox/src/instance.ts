/**
 * One started runtime with the runner inside, and the frame channel to it. Every frame the
 * runner writes is untrusted (the code can forge them): it is decoded by FrameReader and
 * validated with `runnerMessage` here, and anything else ends the channel.
 */
import { encodeFrame, FrameReader } from "./protocol/frames.ts";
import { type RunnerMessage, runnerMessage, type ServiceMessage } from "./protocol/messages.ts";
import { type RuntimeExit, type RuntimeLimits, type RuntimeProcess, SANDBOX_RUNNER_DIR, type SandboxRuntime } from "./runtime/types.ts";

export type Incoming =
  | { kind: "message"; message: RunnerMessage }
  | { kind: "timeout" }
  /** The channel is over: the runtime exited or sent something that is not a valid message. */
  | { kind: "closed"; reason: string };

export interface InstanceOptions {
  runtime: SandboxRuntime;
  limits: RuntimeLimits;
}

const STDERR_TAIL_CHARS = 4096;

export class RunnerInstance {
  private readonly queue: Incoming[] = [];
  private waiter: ((item: Incoming) => void) | undefined;
  private closedReason: string | undefined;
  private stderrTail = "";
  private exit: RuntimeExit | undefined;
  private killing: Promise<void> | undefined;
  readonly exited: Promise<RuntimeExit>;

  private constructor(
    readonly id: string,
    private readonly proc: RuntimeProcess,
  ) {
    this.exited = proc.exited.then((exit) => {
      this.exit = exit;
      return exit;
    });
    void this.readFrames();
    void this.drainStderr();
  }

  static async start(options: InstanceOptions): Promise<RunnerInstance> {
    const id = `rt_${crypto.randomUUID()}`;
    const proc = await options.runtime.start({
      id,
      command: ["python3", "-I", `${SANDBOX_RUNNER_DIR}/runner.py`],
      limits: options.limits,
    });
    return new RunnerInstance(id, proc);
  }

  get alive(): boolean {
    return this.closedReason === undefined && this.exit === undefined;
  }

  /** How the runtime ended, once it has. */
  get exitInfo(): RuntimeExit | undefined {
    return this.exit;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  send(message: ServiceMessage): void {
    // Anything left over (a frame forged by the previous execution's code) is stale now.
    this.queue.length = 0;
    try {
      this.proc.stdin.write(encodeFrame(message));
      void Promise.resolve(this.proc.stdin.flush()).catch(() => this.close("the runtime's stdin is closed"));
    } catch {
      this.close("the runtime's stdin is closed");
    }
  }

  /** The next runner message, or a timeout after `timeoutMs`, or the end of the channel. */
  next(timeoutMs: number): Promise<Incoming> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closedReason !== undefined) return Promise.resolve({ kind: "closed", reason: this.closedReason });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: "timeout" });
      }, timeoutMs);
      this.waiter = (item) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(item);
      };
    });
  }

  /** Kills the runtime (idempotent); its work dir goes with it. */
  async destroy(): Promise<void> {
    this.killing ??= (async () => {
      this.close("destroyed");
      try {
        await this.proc.kill();
      } catch {
        // already gone, or the backstop kill timed out; nothing more to do here
      }
    })();
    return this.killing;
  }

  private deliver(item: Incoming): void {
    if (this.waiter) this.waiter(item);
    else this.queue.push(item);
  }

  private close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.deliver({ kind: "closed", reason });
  }

  private async readFrames(): Promise<void> {
    try {
      for await (const raw of new FrameReader().messages(this.proc.stdout)) {
        const parsed = runnerMessage.safeParse(raw);
        if (!parsed.success) {
          this.close("the runner sent an invalid message");
          void this.proc.kill().catch(() => {});
          return;
        }
        this.deliver({ kind: "message", message: parsed.data });
      }
      await this.exited;
      this.close("the runtime exited");
    } catch (error) {
      this.close(`broken frame stream: ${error instanceof Error ? error.message : String(error)}`);
      void this.proc.kill().catch(() => {});
    }
  }

  private async drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.proc.stderr) {
        this.stderrTail = (this.stderrTail + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL_CHARS);
      }
    } catch {
      // best effort
    }
  }
}
