import { ApiError } from "../anthropic/errors.ts";
import type { MessagesRequest } from "../anthropic/schema.ts";
import type { StopReason } from "../anthropic/messages.ts";
import type { PreparedRequest } from "../bedrock/prepare.ts";
import { rest, type StreamChunk, type Upstream, type UpstreamCall, type UpstreamStream } from "../bedrock/upstream.ts";
import { MessageAccumulator } from "./accumulate.ts";
import { AnswerEvents, type CodeCall, type Container } from "./answer-events.ts";
import type { CodeOutcome } from "./code-result.ts";
import type { ContainerRecord, ContainerStore } from "./containers/container-store.ts";
import { newCodeToolUseId, newContainerId } from "./ids.ts";
import type { PtcPlan } from "./plan.ts";
import type { NamedContainer } from "./resume.ts";
import { type ExecutionStep, type SandboxClient, SandboxFailure, SandboxSessionNotFound } from "./sandbox-client.ts";

/**
 * One PTC request as an Upstream (docs/ptc.md, "The loop"): model calls through the model's own
 * upstream (either Bedrock path), the code they ask for run in the request's container, until the
 * model ends its turn, the code waits for client tools (the answer pauses), the model calls client
 * tools directly, or PTC_MAX_MODEL_CALLS is reached (`pause_turn`). Sandbox trouble is a code result
 * the model reads, never a failed request.
 */

export interface PtcLoopParts {
  sandbox: SandboxClient;
  containers: ContainerStore;
  maxModelCalls: number;
  maxContainersPerKey: number;
}

export interface PtcRequest {
  /** The client's request, as it came. */
  request: MessagesRequest;
  plan: PtcPlan;
  /** Whose containers these are (the gateway's `ownerOf`). */
  owner: string;
  named: NamedContainer | undefined;
  modelUpstream: Upstream;
  /** The request the model sees for a conversation, prepared for its route. */
  prepare(request: MessagesRequest): PreparedRequest;
}

export function ptcUpstream(parts: PtcLoopParts, ptc: PtcRequest): Upstream {
  const open = async (prepared: PreparedRequest, call: UpstreamCall): Promise<{ stream: UpstreamStream; answer: MessageAccumulator }> => {
    const loop = new PtcLoop(parts, ptc, call);
    const chunks = loop.run(prepared);
    // Like a model upstream: resolved once the first event is there, so what fails before it is an HTTP error.
    const first = await chunks.next();
    return { stream: { chunks: rest(first, chunks), usage: () => loop.usage() }, answer: loop.answer };
  };
  return {
    stream: async (prepared, call) => (await open(prepared, call)).stream,
    async complete(prepared, call) {
      const { stream, answer } = await open(prepared, call);
      for await (const _ of stream.chunks);
      return { message: answer.current(), usage: stream.usage() };
    },
    countTokens: (prepared, call) => ptc.modelUpstream.countTokens(prepared, call),
  };
}

class PtcLoop {
  readonly answer = new MessageAccumulator();
  private readonly events: AnswerEvents;
  private container: ContainerRecord | undefined;

  constructor(
    private readonly parts: PtcLoopParts,
    private readonly ptc: PtcRequest,
    private readonly call: UpstreamCall,
  ) {
    this.events = new AnswerEvents({ messageId: call.messageId, model: ptc.request.model, codeTool: ptc.plan.codeTool });
    this.container = ptc.named?.record;
  }

  usage() {
    return this.events.usage();
  }

  async *run(firstPrepared: PreparedRequest): AsyncGenerator<StreamChunk> {
    const resume = this.ptc.named?.resume;
    if (resume && (yield* this.resume(resume))) return;
    for (let calls = 0; ; calls++) {
      if (calls === this.parts.maxModelCalls) return yield* this.finish("pause_turn");
      const prepared = this.answer.started() ? this.ptc.prepare(this.conversation()) : firstPrepared;
      const stream = await this.ptc.modelUpstream.stream(prepared, this.call);
      for await (const chunk of stream.chunks) yield* this.emit(this.events.fromModel(chunk));
      const turn = this.events.endModelCall(stream.usage());
      if (turn.stopReason !== "tool_use" || turn.codeCalls.length === 0) return yield* this.finish(turn.stopReason);
      if (yield* this.runCode(turn.codeCalls, turn.directCalls)) return;
      if (turn.directCalls) return yield* this.finish("tool_use");
    }
  }

  /**
   * A resumed answer begins with the paused code: the client's results posted, its outcome (or its next
   * pause), then the turn's code calls not yet run. True when the answer is over before any model call.
   */
  private async *resume({ paused, results, directCallsAnswered }: NonNullable<NamedContainer["resume"]>): AsyncGenerator<StreamChunk, boolean> {
    // The answer begins before the code runs on, so that a streaming client gets pings meanwhile.
    yield* this.emit(this.events.begin());
    const { sessionId } = this.requireContainer();
    const step = await this.parts.sandbox.submitToolResults(sessionId, this.ptc.owner, paused.executionId, results).catch((error: unknown) => this.sessionGone(error));
    const { paused: _, ...running } = this.requireContainer();
    this.container = running;
    if (yield* this.settle(paused.serverToolUseId, step, paused.remaining, paused.directCalls)) return true;
    if (yield* this.runCode(paused.remaining, paused.directCalls)) return true;
    if (!paused.directCalls || directCallsAnswered) return false;
    yield* this.finish("tool_use");
    return true;
  }

  /** The client's conversation with this answer so far as the assistant's last turn. */
  private conversation(): MessagesRequest {
    const { request } = this.ptc;
    const content = this.answer.current().content;
    return { ...request, messages: [...request.messages, { role: "assistant", content: content as MessagesRequest["messages"][number]["content"] }] };
  }

  /** Runs a turn's code calls in order; true when one paused (the answer is then over). */
  private async *runCode(calls: readonly CodeCall[], directCalls: boolean): AsyncGenerator<StreamChunk, boolean> {
    for (const [i, call] of calls.entries()) {
      const step = await this.execute(call.code);
      const remaining = calls.slice(i + 1).map((c) => ({ serverToolUseId: c.serverToolUseId, code: c.code ?? "" }));
      if (yield* this.settle(call.serverToolUseId, step, remaining, directCalls)) return true;
    }
    return false;
  }

  private async execute(code: string | undefined): Promise<ExecutionStep> {
    const done = (outcome: CodeOutcome): ExecutionStep => ({ status: "done", executionId: undefined, outcome });
    if (code === undefined) return done({ type: "code_execution_tool_result_error", error_code: "invalid_tool_input", message: "the input must be {\"code\": \"<python>\"}" });
    const container = await this.acquireContainer();
    if ("error_code" in container) return done(container);
    const tools = this.ptc.plan.codeCallable.map((t) => (t.description === undefined ? { name: t.name } : { name: t.name, description: t.description }));
    try {
      return await this.parts.sandbox.execute(container.sessionId, this.ptc.owner, code, tools);
    } catch (error) {
      if (!(error instanceof SandboxSessionNotFound)) throw error;
      // The container's session ended under it (expired, service restarted): the model is told; the next code call takes a new one.
      await this.parts.containers.delete(container.id);
      this.container = undefined;
      return done({ type: "code_execution_tool_result_error", error_code: "unavailable", message: "the container expired; run the code again to start in a new one" });
    }
  }

  /** A paused container whose session the service no longer has is an expired container: 404, as an unknown one. */
  private async sessionGone(error: unknown): Promise<never> {
    if (!(error instanceof SandboxSessionNotFound)) throw error;
    const { id } = this.requireContainer();
    await this.parts.containers.delete(id);
    throw new ApiError("not_found_error", `container ${id} has expired`);
  }

  /** The request's container, created bound to the key on the first code call that needs one. */
  private async acquireContainer(): Promise<ContainerRecord | Extract<CodeOutcome, { error_code: string }>> {
    if (this.container) return this.container;
    const { containers, maxContainersPerKey, sandbox } = this.parts;
    if ((await containers.countLive(this.ptc.owner)) >= maxContainersPerKey) {
      return { type: "code_execution_tool_result_error", error_code: "too_many_requests", message: `this API key already has ${maxContainersPerKey} live containers` };
    }
    try {
      const session = await sandbox.createSession(this.ptc.owner);
      this.container = { id: newContainerId(), owner: this.ptc.owner, sessionId: session.sessionId, expiresAt: session.expiresAt, createdAt: new Date().toISOString() };
      await containers.put(this.container);
      return this.container;
    } catch (error) {
      if (error instanceof SandboxFailure) return error.outcome;
      throw error;
    }
  }

  /**
   * A code call's step: its result, or (paused) its client tool calls and the answer's end. The pause
   * is saved before the client sees the calls: a client that leaves at once can still resume.
   */
  private async *settle(serverToolUseId: string, step: ExecutionStep, remaining: { serverToolUseId: string; code: string }[], directCalls: boolean): AsyncGenerator<StreamChunk, boolean> {
    if (step.status === "done") {
      yield* this.emit(this.events.codeResult(serverToolUseId, step.outcome));
      return false;
    }
    const containerId = this.requireContainer().id;
    const calls = step.calls.map((c) => ({ toolUseId: newCodeToolUseId(containerId), callId: c.callId, name: c.name, input: c.input }));
    const paused = { executionId: step.executionId, serverToolUseId, calls: calls.map(({ toolUseId, callId, name }) => ({ toolUseId, callId, name })), remaining, directCalls };
    this.container = { ...this.requireContainer(), paused };
    const container = await this.savedContainer();
    yield* this.emit([...this.events.toolCalls(serverToolUseId, calls), ...this.events.finish("tool_use", container)]);
    return true;
  }

  /** The answer's end; the container's record saved with its fresh expiry (and its pause, if any). */
  private async *finish(stopReason: StopReason | null): AsyncGenerator<StreamChunk> {
    yield* this.emit(this.events.finish(stopReason, await this.savedContainer()));
  }

  private async savedContainer(): Promise<Container | null> {
    if (!this.container) return null;
    const { sandbox, containers } = this.parts;
    const expiresAt = (await sandbox.expiresAt(this.container.sessionId, this.container.owner)) ?? this.container.expiresAt;
    this.container = { ...this.container, expiresAt };
    await containers.put(this.container);
    return { id: this.container.id, expires_at: expiresAt, skills: null };
  }

  private requireContainer(): ContainerRecord {
    if (!this.container) throw new Error("code call settled without a container");
    return this.container;
  }

  private *emit(chunks: StreamChunk[]): Generator<StreamChunk> {
    for (const chunk of chunks) {
      this.answer.push(chunk);
      yield chunk;
    }
  }
}

