import { z } from "zod";
import { freePort, loopback, startServiceProcess } from "../../test/support/service-process.ts";
import { readMemory } from "./proc.ts";
import type { Service } from "./processes.ts";
import { type Baseline, bwrapUnderTest, dockerUnderTest, type RuntimeDescription, type RuntimeUnderTest } from "./sandbox-runtimes.ts";

/**
 * Section 5: the sandbox service on each of its runtimes (bwrap, then docker), started as its own
 * process exactly as in production (`bun sandbox/src/main.ts`), driven over loopback HTTP with its
 * token. What differs between the runtimes is in sandbox-runtimes.ts; everything here runs the same
 * way for both.
 *
 * Per runtime, two services run one after the other, never together (a starting service reaps
 * every sandbox of its runtime's uid range or scope, and two would disturb each other's timings):
 * the warm pool first, then pool size 0 for the cold starts.
 */

/** The Bearer token of every sandbox service the bench starts (the PTC section gives it to its proxy). */
export const sandboxToken = `bench-${crypto.randomUUID()}`;
const owner = "bench";
export const sandboxPoolSize = 4;
const idleSessions = 20;

export interface Stats {
  count: number;
  p50: number;
  p99: number;
}

export interface BaselineFigures {
  label: string;
  description: string;
  stats: Stats;
}

export interface IdleMemory {
  sessions: number;
  /** Each of the runtime's sums, with the pool only (before) and with the idle sessions too (after). */
  measures: Array<{ label: string; headline: boolean; before: number; after: number }>;
  /** What the sums covered once the sessions were made. */
  population: string;
  serviceRss: number;
}

export interface RuntimeFigures {
  about: RuntimeDescription;
  warmStart: Stats;
  coldStart: Stats;
  /** POST /v1/sessions plus the first print(1): until the session has actually run something. */
  warmReady: Stats;
  coldReady: Stats;
  execution: Stats;
  /** The direct python3 spawn first, then the runtime's own. */
  baselines: BaselineFigures[];
  toolResume: Stats;
  toolFull: Stats;
  memory: IdleMemory;
  failures: number;
  firstFailure: string | undefined;
  leftover: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
}

/**
 * The service process: one of the bench's own, so a dying bench takes it along (and with it, through
 * bwrap's --die-with-parent, its bwrap sandboxes; docker containers are the runtime's clean-up's job).
 */
export async function startSandbox(runtime: RuntimeUnderTest, poolSize: number): Promise<Service> {
  const name = `sandbox (${runtime.describe.name})`;
  const port = freePort();
  const url = `http://${loopback}:${port}`;
  const started = await startServiceProcess({
    name,
    command: [process.execPath, "sandbox/src/main.ts"],
    env: {
      ...process.env,
      SANDBOX_TOKEN: sandboxToken,
      SANDBOX_PORT: String(port),
      SANDBOX_HOST: loopback,
      SANDBOX_RUNTIME: runtime.describe.name,
      SANDBOX_POOL_SIZE: String(poolSize),
      SANDBOX_MAX_SESSIONS: "50",
      // One owner holds every session of the bench, and the memory section keeps many idle at once: lift the
      // per-owner share and the RAM-backed file budget to the session cap (the files stay empty, so no RAM is taken).
      SANDBOX_MAX_SESSIONS_PER_OWNER: "50",
      SANDBOX_MAX_TMPFS_MB: String(60 * 3 * 64),
      ...runtime.serviceEnv,
    },
    ready: async () => ((await readHealth(url))?.pool.idle ?? -1) >= poolSize,
    startupTimeoutMs: 30_000,
  });
  const service = { ...started, name, url };
  const health = await readHealth(service.url);
  if (health?.runtime !== runtime.describe.name) {
    await service.stop();
    throw new Error(`${name} runs ${health?.runtime}, not ${runtime.describe.name}`);
  }
  return service;
}

const healthBody = z.object({ runtime: z.string(), pool: z.object({ idle: z.number() }) });
type Health = z.infer<typeof healthBody>;

function readHealth(url: string): Promise<Health | undefined> {
  return fetch(`${url}/health`).then(
    async (r) => (r.ok ? healthBody.parse(await r.json()) : undefined),
    () => undefined,
  );
}

async function untilPoolIdle(url: string, idle: number, timeoutMs: number): Promise<Health> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const health = await readHealth(url);
    if (health && health.pool.idle >= idle) return health;
    if (performance.now() > deadline) throw new Error(`pool not at ${idle} idle within ${timeoutMs} ms (${JSON.stringify(health)})`);
    await Bun.sleep(20);
  }
}

const sessionCreated = z.object({ session_id: z.string() });
/** The parts of an execution result the bench reads; anything else is kept for error messages. */
const executionResult = z.discriminatedUnion("status", [
  z.looseObject({ status: z.literal("completed"), execution_id: z.string(), stdout: z.string() }),
  z.looseObject({ status: z.literal("tool_calls"), execution_id: z.string(), calls: z.array(z.looseObject({ call_id: z.string() })) }),
  z.looseObject({ status: z.literal("failed"), execution_id: z.string(), error_code: z.string() }),
]);
type ExecutionResult = z.infer<typeof executionResult>;

/** The service's API as the bench drives it, counting failures instead of stopping at the first. */
export class Client {
  readonly sessions = new Set<string>();
  failures = 0;
  firstFailure: string | undefined;

  constructor(private readonly url: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${sandboxToken}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  fail(what: string): void {
    this.failures += 1;
    this.firstFailure ??= what;
  }

  async create(): Promise<string | undefined> {
    const res = await this.call("POST", "/v1/sessions", { owner });
    const created = sessionCreated.safeParse(res.json);
    if (res.status !== 201 || !created.success) return void this.fail(`create session: ${res.status} ${JSON.stringify(res.json)}`);
    this.sessions.add(created.data.session_id);
    return created.data.session_id;
  }

  async delete(id: string): Promise<void> {
    const res = await this.call("DELETE", `/v1/sessions/${id}?owner=${owner}`);
    if (res.status !== 204) this.fail(`delete session: ${res.status} ${JSON.stringify(res.json)}`);
    this.sessions.delete(id);
  }

  async deleteAll(): Promise<void> {
    for (const id of [...this.sessions]) await this.delete(id).catch((e: unknown) => this.fail(`delete: ${String(e)}`));
  }

  async execute(id: string, code: string, tools: unknown[] = []): Promise<ExecutionResult> {
    return this.result("execute", await this.call("POST", `/v1/sessions/${id}/executions`, { owner, code, tools }));
  }

  async toolResults(id: string, execution: string, results: unknown[]): Promise<ExecutionResult> {
    return this.result("tool-results", await this.call("POST", `/v1/sessions/${id}/executions/${execution}/tool-results`, { owner, results }));
  }

  private result(what: string, res: { status: number; json: unknown }): ExecutionResult {
    const parsed = executionResult.safeParse(res.json);
    if (res.status !== 200 || !parsed.success) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.json)}`);
    return parsed.data;
  }
}

/** Runs `step` up to `count` times or until `maxMs` has passed; a throwing step counts as a failure. */
export async function bounded(client: Client, count: number, maxMs: number, step: (index: number) => Promise<void>): Promise<void> {
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    try {
      await step(i);
    } catch (error) {
      client.fail(error instanceof Error ? error.message : String(error));
    }
  }
}

async function printOne(client: Client, id: string, what: string): Promise<void> {
  const result = await client.execute(id, "print(1)");
  if (result.status !== "completed" || result.stdout !== "1\n") throw new Error(`${what}: ${JSON.stringify(result)}`);
}

/**
 * Session starts, each once the pool is back to `poolSize` idle (0: cold, every start starts a sandbox).
 * POST /v1/sessions returns once the sandbox's runner has announced itself; each sample also times
 * create + a first print(1), the start as a session sees it.
 */
async function sessionStarts(service: Service, client: Client, poolSize: number, count: number, maxMs: number): Promise<{ create: number[]; ready: number[] }> {
  const create: number[] = [];
  const ready: number[] = [];
  await bounded(client, count, maxMs, async () => {
    await untilPoolIdle(service.url, poolSize, 20_000);
    const began = performance.now();
    const id = await client.create();
    const created = performance.now();
    if (id === undefined) return;
    try {
      await printOne(client, id, "first print(1)");
      create.push(created - began);
      ready.push(performance.now() - began);
    } finally {
      await client.delete(id);
    }
  });
  return { create, ready };
}

async function realPython(): Promise<string> {
  // python3 on PATH may be a pyenv shim (a shell script): the baseline is the interpreter itself.
  const probe = Bun.spawn(["python3", "-c", "import sys; print(sys.executable)"], { stdout: "pipe", stderr: "ignore" });
  const path = (await new Response(probe.stdout).text()).trim();
  await probe.exited;
  return path || "python3";
}

function directPython(python: string): Baseline {
  return {
    label: "direct python3 spawn",
    description: `${python} -c "print(1)" spawned by the bench`,
    every: 1,
    async sample() {
      const began = performance.now();
      const child = Bun.spawn([python, "-c", "print(1)"], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
      const out = await new Response(child.stdout).text();
      await child.exited;
      if (out !== "1\n" || child.exitCode !== 0) throw new Error(`python3 -c print(1): exit ${child.exitCode}, ${JSON.stringify(out)}`);
      return performance.now() - began;
    },
  };
}

/** print(1) in one session, interleaved with the baselines so all see the same machine. */
async function executions(client: Client, baselines: readonly Baseline[]): Promise<{ sandbox: number[]; baselines: BaselineFigures[] }> {
  const sandbox: number[] = [];
  const samples = baselines.map((): number[] => []);
  const figures = () => baselines.map((b, i) => ({ label: b.label, description: b.description, stats: stats(samples[i] ?? []) }));
  const id = await client.create();
  if (id === undefined) return { sandbox, baselines: figures() };
  const once = async (index: number, record: boolean) => {
    const began = performance.now();
    await printOne(client, id, "print(1)");
    if (record) sandbox.push(performance.now() - began);
    for (const [i, baseline] of baselines.entries()) {
      if (index % baseline.every !== 0) continue;
      const elapsed = await baseline.sample();
      if (record) samples[i]?.push(elapsed);
    }
  };
  await bounded(client, 5, 10_000, (index) => once(index, false));
  await bounded(client, 100, 30_000, (index) => once(index, true));
  await client.delete(id);
  return { sandbox, baselines: figures() };
}

async function toolRoundTrips(client: Client): Promise<{ resume: number[]; full: number[] }> {
  const resume: number[] = [];
  const full: number[] = [];
  const id = await client.create();
  if (id === undefined) return { resume, full };
  const code = "r = await lookup(n=1)\nprint(r)";
  const tools = [{ name: "lookup", description: "bench tool", input_schema: { type: "object" } }];
  const once = async (record: boolean) => {
    const began = performance.now();
    const first = await client.execute(id, code, tools);
    const call = first.status === "tool_calls" && first.calls.length === 1 ? first.calls[0] : undefined;
    if (call === undefined) throw new Error(`tool execute: ${JSON.stringify(first)}`);
    const resumed = performance.now();
    const done = await client.toolResults(id, first.execution_id, [{ call_id: call.call_id, content: "v" }]);
    const end = performance.now();
    if (done.status !== "completed" || done.stdout !== "v\n") throw new Error(`tool result: ${JSON.stringify(done)}`);
    if (!record) return;
    resume.push(end - resumed);
    full.push(end - began);
  };
  await bounded(client, 5, 5_000, () => once(false));
  await bounded(client, 100, 20_000, () => once(true));
  await client.delete(id);
  return { resume, full };
}

async function idleMemory(runtime: RuntimeUnderTest, service: Service, client: Client): Promise<IdleMemory> {
  await untilPoolIdle(service.url, sandboxPoolSize, 20_000);
  const before = await runtime.memory(service.pid);
  const made: string[] = [];
  await bounded(client, idleSessions, 60_000, async () => {
    const id = await client.create();
    if (id !== undefined) made.push(id);
  });
  // The pool refills behind the sessions: measure with it full again (every runner up), as before.
  await untilPoolIdle(service.url, sandboxPoolSize, 30_000);
  const after = await runtime.memory(service.pid);
  const serviceRss = (await readMemory(service.pid)).rss;
  for (const id of made) await client.delete(id);
  return {
    sessions: made.length,
    measures: after.sums.map((sum, i) => ({ label: sum.label, headline: sum.headline, before: before.sums[i]?.bytes ?? Number.NaN, after: sum.bytes })),
    population: after.population,
    serviceRss,
  };
}

async function measureRuntime(runtime: RuntimeUnderTest, python: string, log: (line: string) => void): Promise<RuntimeFigures> {
  const { name } = runtime.describe;
  let warm: Service | undefined;
  let cold: Service | undefined;
  const clients: Client[] = [];
  try {
    await runtime.prepare(log);
    warm = await startSandbox(runtime, sandboxPoolSize);
    const client = new Client(warm.url);
    clients.push(client);
    log(`  ${name}: sandbox service ${warm.url} (pid ${warm.pid}), pool ${sandboxPoolSize}`);
    await sessionStarts(warm, client, sandboxPoolSize, 3, 10_000); // warm-up
    const warmStarts = await sessionStarts(warm, client, sandboxPoolSize, 40, 45_000);
    const exec = await executions(client, [directPython(python), ...runtime.baselines]);
    const tool = await toolRoundTrips(client);
    const memory = await idleMemory(runtime, warm, client);
    await client.deleteAll();
    await warm.stop();
    warm = undefined;

    cold = await startSandbox(runtime, 0);
    const coldClient = new Client(cold.url);
    clients.push(coldClient);
    log(`  ${name}: sandbox service ${cold.url} (pid ${cold.pid}), pool 0`);
    await sessionStarts(cold, coldClient, 0, 2, 10_000); // warm-up (page cache, JIT)
    const coldStarts = await sessionStarts(cold, coldClient, 0, 20, 45_000);
    await coldClient.deleteAll();
    await cold.stop();
    cold = undefined;

    return {
      about: runtime.describe,
      warmStart: stats(warmStarts.create),
      coldStart: stats(coldStarts.create),
      warmReady: stats(warmStarts.ready),
      coldReady: stats(coldStarts.ready),
      execution: stats(exec.sandbox),
      baselines: exec.baselines,
      toolResume: stats(tool.resume),
      toolFull: stats(tool.full),
      memory,
      failures: client.failures + coldClient.failures,
      firstFailure: client.firstFailure ?? coldClient.firstFailure,
      leftover: await runtime.leftovers(),
    };
  } catch (error) {
    const tail = warm?.stderrTail() ?? cold?.stderrTail() ?? "";
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}${tail ? `\nsandbox stderr (tail):\n${tail}` : ""}`);
  } finally {
    for (const client of clients) await client.deleteAll().catch(() => {});
    await warm?.stop();
    await cold?.stop();
    await runtime.cleanUp();
  }
}

/** Measures each runtime in turn; `onFigures` gets a runtime's figures as soon as they are in. */
export async function measureSandbox(log: (line: string) => void, onFigures: (figures: RuntimeFigures) => void): Promise<RuntimeFigures[]> {
  const python = await realPython();
  log(`  baseline interpreter ${python}`);
  const all: RuntimeFigures[] = [];
  for (const runtime of [bwrapUnderTest(), dockerUnderTest(`bench-${crypto.randomUUID()}`)]) {
    const figures = await measureRuntime(runtime, python, log);
    onFigures(figures);
    all.push(figures);
  }
  return all;
}
