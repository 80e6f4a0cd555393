import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodeFrame, FrameReader } from "../../sandbox/src/protocol/frames.ts";
import { runnerLimits } from "../../sandbox/src/protocol/limits.ts";
import {
  type CompletedMessage,
  type ExecuteMessage,
  type FailedMessage,
  type RunnerMessage,
  readyMessage,
  runnerMessage,
  type ServiceMessage,
  type ToolCallsMessage,
} from "../../sandbox/src/protocol/messages.ts";
import type { ToolDeclaration } from "../../lib/sandbox-api.ts";

const RUNNER_PATH = resolve(import.meta.dir, "../../sandbox/runner/runner.py");

/**
 * One runner process on the host (no isolation yet), driven through the TS codec:
 * every frame it writes is decoded by FrameReader and validated by the zod schemas.
 */
export class RunnerProcess {
  readonly workDir: string;
  private readonly child: Bun.Subprocess<"pipe", "pipe", "inherit">;
  private readonly incoming: AsyncGenerator<unknown>;
  private executions = 0;
  private announced: Promise<unknown> | undefined;

  /** `asUid`: run as this uid (as a sandbox does) rather than the test's own, which may be root and pass every check. */
  constructor(options: { asUid?: number } = {}) {
    // A private cwd per runner, as a session's working directory will be.
    this.workDir = mkdtempSync(join(tmpdir(), "sandbox-runner-"));
    const dropTo = options.asUid === undefined ? [] : ["setpriv", `--reuid=${options.asUid}`, `--regid=${options.asUid}`, "--clear-groups", "--"];
    if (options.asUid !== undefined) chmodSync(this.workDir, 0o777);
    // The system python a sandbox runs, not a per-user one the uid may not reach.
    const python = options.asUid === undefined ? "python3" : "/usr/bin/python3";
    this.child = Bun.spawn([...dropTo, python, RUNNER_PATH], {
      cwd: this.workDir,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    this.incoming = new FrameReader().messages(this.child.stdout);
  }

  send(message: ServiceMessage): void {
    this.child.stdin.write(encodeFrame(message));
    void this.child.stdin.flush();
  }

  /** Sends raw bytes, for exercising the runner's frame reassembly. */
  sendBytes(bytes: Uint8Array): void {
    this.child.stdin.write(bytes);
    void this.child.stdin.flush();
  }

  /** The runner's first frame, sent unasked once it is up: its ready announcement. */
  announcement(): Promise<unknown> {
    this.announced ??= this.incoming.next().then((next) => {
      if (next.done) throw new Error("runner closed its stdout before announcing itself");
      return next.value;
    });
    return this.announced;
  }

  /** The next answer, after the announcement (checked, not returned). */
  async receive(): Promise<RunnerMessage> {
    readyMessage.parse(await this.announcement());
    const next = await this.incoming.next();
    if (next.done) throw new Error("runner closed its stdout");
    return runnerMessage.parse(next.value);
  }

  /** Starts an execution with a fresh id and returns that id. */
  execute(code: string, options: { tools?: ToolDeclaration[]; maxOutputBytes?: number } = {}): string {
    this.executions += 1;
    const limits = runnerLimits(options.maxOutputBytes ?? 64 * 1024);
    const request: ExecuteMessage = {
      type: "execute",
      execution_id: `exec_${this.executions}`,
      code,
      tools: options.tools ?? [],
      max_output_bytes: limits.maxOutputBytes,
      max_frame_bytes: limits.maxFrameBytes,
      max_tool_calls: limits.maxToolCalls,
    };
    this.send(request);
    return request.execution_id;
  }

  async expectToolCalls(): Promise<ToolCallsMessage> {
    const message = await this.receive();
    if (message.type !== "tool_calls") throw new Error(`expected tool_calls, got ${JSON.stringify(message)}`);
    return message;
  }

  async expectCompleted(): Promise<CompletedMessage> {
    const message = await this.receive();
    if (message.type !== "completed") throw new Error(`expected completed, got ${JSON.stringify(message)}`);
    return message;
  }

  async expectFailed(): Promise<FailedMessage> {
    const message = await this.receive();
    if (message.type !== "failed") throw new Error(`expected failed, got ${JSON.stringify(message)}`);
    return message;
  }

  /** Runs code that calls no tools and returns its outcome. */
  async run(code: string, maxOutputBytes?: number): Promise<CompletedMessage | FailedMessage> {
    this.execute(code, maxOutputBytes === undefined ? {} : { maxOutputBytes });
    const message = await this.receive();
    if (message.type === "tool_calls") throw new Error(`unexpected tool_calls ${JSON.stringify(message)}`);
    return message;
  }

  async close(): Promise<void> {
    void this.child.stdin.end();
    const exited = await Promise.race([this.child.exited, Bun.sleep(2000).then(() => undefined)]);
    if (exited === undefined) this.child.kill();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  get exitCode(): Promise<number> {
    return this.child.exited;
  }
}
