/**
 * Sessions: one runtime each, owned by one owner, one execution at a time. The state machine:
 *
 *   idle ──execute──▶ running ──tool_calls──▶ awaiting_tools ──tool-results──▶ running
 *     ▲                  │                         │ (tool result timeout)
 *     └──completed/failed┘                         ▼
 *                  runtime lost ─────────────▶   dead (later calls: failed/unavailable)
 *
 * Idle and dead sessions expire after the idle timeout; a reaper destroys them.
 */
import { randomBytes } from "node:crypto";
import { ServiceError, sessionNotFound } from "./errors.ts";
import { awaitRunner, failed, type StepOutcome } from "./execution.ts";
import type { RunnerInstance } from "./instance.ts";
import type { WarmPool } from "./pool.ts";
import type { ExecutionErrorCode, ExecutionResult, SessionCreated, SessionInfo, SessionState, ToolDeclaration, ToolResult } from "../../lib/sandbox-api.ts";

export interface SessionLimits {
  execTimeoutMs: number;
  toolResultTimeoutMs: number;
  idleTimeoutMs: number;
  maxSessions: number;
  /** Live sessions one owner may hold, so one client cannot take the whole pool from the others. */
  maxSessionsPerOwner: number;
}

interface Session {
  id: string;
  owner: string;
  instance: RunnerInstance;
  createdAt: number;
  lastActivity: number;
  state: SessionState;
  executions: Set<string>;
  /** The execution waiting for tool results, with the call ids it is owed and its timer. */
  waiting?: { executionId: string; callIds: Set<string>; timer: ReturnType<typeof setTimeout> };
  /** Why the session died, for the execution that was in progress then. */
  death?: { executionId: string | undefined; code: ExecutionErrorCode };
}

const randomId = (prefix: string) => `${prefix}_${randomBytes(24).toString("base64url")}`;

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private reaper: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly pool: WarmPool,
    private readonly limits: SessionLimits,
  ) {}

  get count(): number {
    return this.sessions.size;
  }

  startReaper(intervalMs = Math.max(50, Math.min(this.limits.idleTimeoutMs / 4, 5000))): void {
    this.reaper ??= setInterval(() => void this.reapIdle(), intervalMs);
  }

  async create(owner: string): Promise<SessionCreated> {
    if (this.closed) throw new ServiceError("overloaded_error", "the service is shutting down");
    const live = [...this.sessions.values()].filter((s) => s.state !== "dead");
    const owned = live.filter((s) => s.owner === owner).length;
    if (owned >= this.limits.maxSessionsPerOwner) {
      throw new ServiceError("rate_limit_error", `owner ${owner} has ${owned} live sessions (limit ${this.limits.maxSessionsPerOwner} per owner)`);
    }
    if (live.length >= this.limits.maxSessions) throw new ServiceError("overloaded_error", `too many sessions (limit ${this.limits.maxSessions})`);
    let instance: RunnerInstance;
    try {
      instance = await this.pool.take();
    } catch (error) {
      throw new ServiceError("overloaded_error", `no sandbox could be started: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const now = Date.now();
    const session: Session = { id: randomId("sess"), owner, instance, createdAt: now, lastActivity: now, state: "idle", executions: new Set() };
    this.sessions.set(session.id, session);
    // A runtime that dies while no step is running (idle, or waiting for tool results) kills its
    // session at once; during a step, awaitRunner sees the end and reports it.
    void instance.exited.then(() => {
      if (session.state !== "running") this.kill(session, session.waiting?.executionId, "unavailable");
    });
    return { session_id: session.id, expires_at: new Date(now + this.limits.idleTimeoutMs).toISOString() };
  }

  info(id: string, owner: string): SessionInfo {
    const s = this.get(id, owner);
    return {
      session_id: s.id,
      owner: s.owner,
      state: s.state,
      created_at: new Date(s.createdAt).toISOString(),
      expires_at: new Date(s.lastActivity + this.limits.idleTimeoutMs).toISOString(),
      executions: s.executions.size,
    };
  }

  async execute(id: string, owner: string, code: string, tools: ToolDeclaration[]): Promise<ExecutionResult> {
    const session = this.get(id, owner);
    this.assertNotBusy(session);
    const executionId = randomId("exec");
    session.lastActivity = Date.now();
    if (session.state === "dead") return failed(executionId, "unavailable");
    session.executions.add(executionId);
    session.state = "running";
    session.instance.execute(executionId, code, tools);
    return this.finishStep(session, executionId, await awaitRunner(session.instance, executionId, this.limits.execTimeoutMs));
  }

  async submitToolResults(id: string, owner: string, executionId: string, results: ToolResult[]): Promise<ExecutionResult> {
    const session = this.get(id, owner);
    session.lastActivity = Date.now();
    if (session.state === "dead") {
      const code = session.death?.executionId === executionId ? session.death.code : "unavailable";
      return failed(executionId, code);
    }
    this.assertNotBusy(session, executionId);
    const waiting = session.waiting;
    if (waiting === undefined || waiting.executionId !== executionId) {
      if (session.executions.has(executionId)) throw new ServiceError("conflict_error", `execution ${executionId} is not waiting for tool results`);
      throw new ServiceError("not_found_error", "execution not found");
    }
    const unknown = results.map((r) => r.call_id).filter((callId) => !waiting.callIds.has(callId));
    if (unknown.length > 0) throw new ServiceError("invalid_request_error", `results.call_id: unknown call id(s): ${unknown.slice(0, 3).join(", ")}`);
    clearTimeout(waiting.timer);
    session.waiting = undefined;
    session.state = "running";
    session.instance.send({ type: "tool_results", execution_id: executionId, results });
    return this.finishStep(session, executionId, await awaitRunner(session.instance, executionId, this.limits.execTimeoutMs));
  }

  async delete(id: string, owner: string): Promise<void> {
    const session = this.get(id, owner);
    await this.destroy(session);
  }

  /** Destroys sessions idle (or dead) for longer than the idle timeout. */
  async reapIdle(now = Date.now()): Promise<number> {
    const expired = [...this.sessions.values()].filter(
      (s) => (s.state === "idle" || s.state === "dead") && now - s.lastActivity >= this.limits.idleTimeoutMs,
    );
    await Promise.all(expired.map((s) => this.destroy(s)));
    return expired.length;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    if (this.reaper) clearInterval(this.reaper);
    await Promise.all([...this.sessions.values()].map((s) => this.destroy(s)));
  }

  /** A session of this owner; any other owner gets exactly the answer for a missing one. */
  private get(id: string, owner: string): Session {
    const session = this.sessions.get(id);
    if (session === undefined || session.owner !== owner) throw sessionNotFound();
    return session;
  }

  private assertNotBusy(session: Session, executionId?: string): void {
    if (session.state === "running") throw new ServiceError("conflict_error", "an execution is already running in this session");
    if (session.state === "awaiting_tools" && session.waiting?.executionId !== executionId) {
      throw new ServiceError("conflict_error", `execution ${session.waiting?.executionId} is waiting for tool results`);
    }
  }

  private finishStep(session: Session, executionId: string, outcome: StepOutcome): ExecutionResult {
    session.lastActivity = Date.now();
    const { result } = outcome;
    if (outcome.runtimeLost) {
      this.kill(session, executionId, result.status === "failed" ? result.error_code : "unavailable");
    } else if (result.status === "tool_calls") {
      session.state = "awaiting_tools";
      const timer = setTimeout(() => this.toolResultsTimedOut(session, executionId), this.limits.toolResultTimeoutMs);
      session.waiting = { executionId, callIds: new Set(result.calls.map((c) => c.call_id)), timer };
    } else {
      session.state = "idle";
    }
    if (this.sessions.get(session.id) !== session) void session.instance.destroy();
    return result;
  }

  private toolResultsTimedOut(session: Session, executionId: string): void {
    if (session.state !== "awaiting_tools" || session.waiting?.executionId !== executionId) return;
    session.waiting = undefined;
    session.lastActivity = Date.now();
    this.kill(session, executionId, "tool_result_timeout");
  }

  /** The session's runtime is gone or must go: it stays as a tombstone that answers `unavailable`. */
  private kill(session: Session, executionId: string | undefined, code: ExecutionErrorCode): void {
    if (session.state === "dead") return;
    if (session.waiting) clearTimeout(session.waiting.timer);
    session.waiting = undefined;
    session.state = "dead";
    session.death = { executionId, code };
    void this.pool.release(session.instance);
  }

  private async destroy(session: Session): Promise<void> {
    if (session.waiting) clearTimeout(session.waiting.timer);
    session.waiting = undefined;
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    session.state = "dead";
    await this.pool.release(session.instance);
  }
}
