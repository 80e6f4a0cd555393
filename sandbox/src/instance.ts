/**
 * One started runtime with the runner inside, and the frame channel to it. The code never holds
 * that channel (the runner's parent does), yet every frame is still checked as it is read, as if
 * hostile: the length prefix against the frame cap before any body is buffered, the bytes of an
 * execution against its total, each message against `runnerMessage` and the caps (output, calls
 * per message), and exactly one message per message sent. Anything else ends the channel and the
 * runtime.
 */
import { encodeFrame, FrameError, FrameReader } from "./protocol/frames.ts";
import type { RunnerLimits } from "./protocol/limits.ts";
import type { ToolDeclaration } from "../../lib/sandbox-api.ts";
import { readyMessage, type RunnerMessage, runnerMessage, type ServiceMessage } from "./protocol/messages.ts";
import { type RuntimeExit, type RuntimeLimits, type RuntimeProcess, SANDBOX_RUNNER_DIR, type SandboxRuntime } from "./runtime/types.ts";

export type Incoming =
  | { kind: "message"; message: RunnerMessage }
  | { kind: "timeout" }
  /** The channel is over: the runtime exited or sent something that is not a valid message. */
  | { kind: "closed"; reason: string };

export interface InstanceOptions {
  runtime: SandboxRuntime;
  limits: RuntimeLimits;
  protocol: RunnerLimits;
}

const STDERR_TAIL_CHARS = 4096;
/**
 * How long a runner may take to announce itself (`readyMessage`): an interpreter starting in a new
 * sandbox on a loaded host, or a container's first start, takes well under this.
 */
const READY_TIMEOUT_MS = 30_000;

export class RunnerInstance {
  private readonly queue: Incoming[] = [];
  private waiter: ((item: Incoming) => void) | undefined;
  private closedReason: string | undefined;
  private stderrTail = "";
  private exit: RuntimeExit | undefined;
  private killing: Promise<void> | undefined;
  /** The runner owes an answer to the last message sent: a frame when it owes none is refused. */
  private answerOwed = false;
  /** Bytes read since the last `execute`. */
  private executionBytes = 0;
  /** Settled by the runner's first frame, which must be its ready announcement, or by the channel's end. */
  private readonly announcement = Promise.withResolvers<void>();
  private announced = false;
  readonly exited: Promise<RuntimeExit>;

  private constructor(
    readonly id: string,
    private readonly proc: RuntimeProcess,
    private readonly limits: RunnerLimits,
  ) {
    this.exited = proc.exited.then((exit) => {
      this.exit = exit;
      return exit;
    });
    void this.readFrames();
    void this.drainStderr();
  }

  /** A runtime whose runner is up and has announced itself; one that cannot get there is destroyed, and the start fails. */
  static async start(options: InstanceOptions): Promise<RunnerInstance> {
    const id = `rt_${crypto.randomUUID()}`;
    const proc = await options.runtime.start({
      id,
      command: ["python3", "-I", `${SANDBOX_RUNNER_DIR}/runner.py`],
      limits: options.limits,
    });
    const instance = new RunnerInstance(id, proc, options.protocol);
    try {
      await instance.untilReady();
    } catch (error) {
      await instance.destroy();
      throw error;
    }
    return instance;
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

  execute(executionId: string, code: string, tools: ToolDeclaration[]): void {
    const { maxOutputBytes, maxFrameBytes, maxToolCalls } = this.limits;
    this.executionBytes = 0;
    this.send({ type: "execute", execution_id: executionId, code, tools, max_output_bytes: maxOutputBytes, max_frame_bytes: maxFrameBytes, max_tool_calls: maxToolCalls });
  }

  send(message: ServiceMessage): void {
    this.answerOwed = true;
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

  private async untilReady(): Promise<void> {
    let timer: Timer | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the runner did not announce itself within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.announcement.promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private deliver(item: Incoming): void {
    if (this.waiter) this.waiter(item);
    else this.queue.push(item);
  }

  private close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (!this.announced) this.announcement.reject(new Error(`the runner did not start: ${reason}${this.stderrTail ? `\n${this.stderrTail}` : ""}`));
    this.deliver({ kind: "closed", reason });
  }

  private async readFrames(): Promise<void> {
    try {
      for await (const raw of new FrameReader(this.limits.maxFrameBytes).messages(this.counted(this.proc.stdout))) {
        if (!this.announced) {
          if (!readyMessage.safeParse(raw).success) return this.refuse("the runner's first frame was not its ready announcement");
          this.announced = true;
          this.announcement.resolve();
          continue;
        }
        const parsed = runnerMessage.safeParse(raw);
        if (!parsed.success) return this.refuse("the runner sent an invalid message");
        const refusal = this.refusal(parsed.data);
        if (refusal !== undefined) return this.refuse(refusal);
        this.answerOwed = false;
        this.deliver({ kind: "message", message: parsed.data });
      }
      await this.exited;
      this.close("the runtime exited");
    } catch (error) {
      this.refuse(`broken frame stream: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private refuse(reason: string): void {
    this.close(reason);
    void this.proc.kill().catch(() => {});
  }

  /** Why a well-formed message is still refused, if it is. */
  private refusal(message: RunnerMessage): string | undefined {
    if (!this.answerOwed) return "the runner sent a frame nobody asked for";
    if (message.type === "tool_calls" && message.calls.length > this.limits.maxToolCalls) {
      return `the runner sent ${message.calls.length} calls in one message (limit ${this.limits.maxToolCalls})`;
    }
    // Output is counted in bytes of the code's output; a UTF-16 unit of its decoded form is never more than one.
    if (message.type !== "tool_calls" && message.stdout.length + message.stderr.length > this.limits.maxOutputBytes) {
      return `the runner sent more than ${this.limits.maxOutputBytes} bytes of output`;
    }
    return undefined;
  }

  /** The runner's bytes as they come, counted against the execution's total before they are buffered. */
  private async *counted(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.executionBytes += chunk.byteLength;
      if (this.executionBytes > this.limits.maxExecutionBytes) {
        throw new FrameError(`the runner sent more than ${this.limits.maxExecutionBytes} bytes in one execution`);
      }
      yield chunk;
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
