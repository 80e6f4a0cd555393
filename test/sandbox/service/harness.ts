/** Starts a sandbox service in-process (small pool, short timeouts) on one runtime kind and drives it via app.request. */
import { loadSandboxConfig } from "../../../sandbox/src/config.ts";
import type { ToolCall } from "../../../lib/sandbox-api.ts";
import { createService, type Service } from "../../../sandbox/src/service.ts";
import { freshScope, prepareRuntime, type RuntimeKind, scopedRuntime } from "../runtime/runtimes.ts";

export const TOKEN = "test-token-0123456789abcdef";

/** Every field the API's answers carry, each optional: what the tests assert on. */
export interface ApiJson {
  error?: { type: string; message: string };
  session_id?: string;
  expires_at?: string;
  owner?: string;
  state?: string;
  executions?: number;
  runtime?: string;
  pool?: { idle: number; busy: number };
  sessions?: number;
  execution_id?: string;
  status?: string;
  calls?: ToolCall[];
  stdout?: string;
  stderr?: string;
  return_code?: number;
  error_code?: string;
}

/** A RESULT, with `calls` always present (empty unless status is tool_calls). */
export type Result = ApiJson & { execution_id: string; status: string; calls: ToolCall[] };

export interface Harness {
  service: Service;
  /** Sandboxes of this harness's scope still running. */
  live(): Promise<number>;
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: ApiJson }>;
  newSession(owner?: string): Promise<string>;
  execute(session: string, code: string, tools?: unknown[], owner?: string): Promise<Result>;
  toolResults(session: string, execution: string, results: unknown[], owner?: string): Promise<Result>;
  close(): Promise<void>;
}

/** `bwrapBase`: first uid of a 100-uid range of this harness's own (ignored by docker, which gets a fresh label). */
export async function startHarness(kind: RuntimeKind, env: Record<string, string>, bwrapBase: number): Promise<Harness> {
  await prepareRuntime(kind);
  const config = loadSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_POOL_SIZE: "1", SANDBOX_RUNTIME: kind, ...env });
  const { runtime, live } = scopedRuntime(kind, freshScope(kind, bwrapBase));
  const service = await createService(config, { runtime });
  const call: Harness["call"] = async (method, path, body, token = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await service.app.request(path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    const text = await res.text();
    const json: ApiJson = text ? JSON.parse(text) : {};
    return { status: res.status, json };
  };
  const h: Harness = {
    service,
    live,
    call,
    async newSession(owner = "alice") {
      const res = await call("POST", "/v1/sessions", { owner });
      if (res.status !== 201) throw new Error(`create session: ${res.status} ${JSON.stringify(res.json)}`);
      if (res.json.session_id === undefined) throw new Error("create session: no session_id");
      return res.json.session_id;
    },
    async execute(session, code, tools = [], owner = "alice") {
      const res = await call("POST", `/v1/sessions/${session}/executions`, { owner, code, tools });
      if (res.status !== 200) throw new Error(`execute: ${res.status} ${JSON.stringify(res.json)}`);
      return asResult(res.json);
    },
    async toolResults(session, execution, results, owner = "alice") {
      const res = await call("POST", `/v1/sessions/${session}/executions/${execution}/tool-results`, { owner, results });
      if (res.status !== 200) throw new Error(`tool-results: ${res.status} ${JSON.stringify(res.json)}`);
      return asResult(res.json);
    },
    async close() {
      await service.close();
      await service.runtime.reapOrphans();
    },
  };
  return h;
}

function asResult(json: ApiJson): Result {
  if (json.execution_id === undefined || json.status === undefined) throw new Error(`not a RESULT: ${JSON.stringify(json)}`);
  return { ...json, execution_id: json.execution_id, status: json.status, calls: json.calls ?? [] };
}

/** Polls until `check` holds (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(25);
  }
}
