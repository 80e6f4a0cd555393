import { readdir, readFile } from "node:fs/promises";
import type { Subprocess } from "bun";
import { freePort, removeScratchDir, scratchDir, type Service, spawnService, stopper } from "./processes.ts";

/**
 * Section 5: the sandbox service (bwrap runtime), started as its own process exactly as in
 * production (`bun sandbox/src/main.ts`), driven over loopback HTTP with its token.
 *
 * main.ts always uses BwrapRuntime's default uid range (100000-100999; the config has no setting
 * for it); the tests use 180000-195999, so the bench never touches a test's sandboxes. Because a
 * starting service reaps every process in its range, the two services here (warm pool, then pool
 * size 0 for the cold starts) run one after the other, never together.
 */

const loopback = "127.0.0.1";
const token = `bench-${crypto.randomUUID()}`;
const owner = "bench";
/** BwrapRuntime's defaults, which main.ts uses. */
const uidBase = 100_000;
const uidCount = 1000;
export const sandboxPoolSize = 4;
const idleSessions = 20;
/** Well above a cold start (~55 ms on the 2-core machine) so the pool's newest runner is ready. */
const refillSettleMs = 150;

export interface Stats {
  count: number;
  p50: number;
  p99: number;
}

export interface SandboxMemory {
  sessions: number;
  /** Sums over every process of the sandbox uid range (the runners inside), pool only vs pool + sessions. */
  uidRssBefore: number;
  uidRssAfter: number;
  uidPssAfter: number;
  uidPssBefore: number;
  /** Every descendant of the service process (bwrap itself included), after the sessions were made. */
  treeRssAfter: number;
  treeRssBefore: number;
  processesAfter: number;
  serviceRss: number;
}

export interface SandboxResults {
  warmStart: Stats;
  coldStart: Stats;
  /** POST /v1/sessions plus the first print(1): until the session has actually run something. */
  warmReady: Stats;
  coldReady: Stats;
  execution: Stats;
  directPython: Stats;
  pythonPath: string;
  toolResume: Stats;
  toolFull: Stats;
  memory: SandboxMemory;
  failures: number;
  firstFailure: string | undefined;
  leftover: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
}

/** The service process: one of the bench's own, so a dying bench takes it (and, through bwrap's --die-with-parent, its sandboxes) along. */
async function startSandbox(poolSize: number): Promise<Service> {
  const workRoot = scratchDir("bench-sandbox-");
  const port = await freePort();
  const { child, tail } = spawnService([process.execPath, "sandbox/src/main.ts"], {
    SANDBOX_TOKEN: token,
    SANDBOX_PORT: String(port),
    SANDBOX_HOST: loopback,
    SANDBOX_RUNTIME: "bwrap",
    SANDBOX_POOL_SIZE: String(poolSize),
    SANDBOX_WORK_ROOT: workRoot,
    SANDBOX_MAX_SESSIONS: "50",
  });
  const url = `http://${loopback}:${port}`;
  const stopChild = stopper(child);
  const stop = async () => {
    await stopChild();
    removeScratchDir(workRoot);
  };
  try {
    await untilPoolIdle(url, poolSize, 20_000, child);
  } catch (error) {
    await stop();
    throw new Error(`sandbox service did not start: ${error instanceof Error ? error.message : String(error)}\n${tail()}`);
  }
  return { name: "sandbox", url, pid: child.pid, stderrTail: tail, stop };
}

async function untilPoolIdle(url: string, idle: number, timeoutMs: number, child?: Subprocess): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const health = await fetch(`${url}/health`).then(
      (r) => (r.ok ? (r.json() as Promise<{ pool: { idle: number } }>) : undefined),
      () => undefined,
    );
    if (health && health.pool.idle >= idle) return;
    if (performance.now() > deadline) throw new Error(`pool not at ${idle} idle within ${timeoutMs} ms (${JSON.stringify(health)})`);
    await Bun.sleep(20);
  }
}

class Client {
  readonly sessions = new Set<string>();
  failures = 0;
  firstFailure: string | undefined;

  constructor(private readonly url: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
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
    if (res.status !== 201) return void this.fail(`create session: ${res.status} ${JSON.stringify(res.json)}`);
    this.sessions.add(res.json.session_id);
    return res.json.session_id as string;
  }

  async delete(id: string): Promise<void> {
    const res = await this.call("DELETE", `/v1/sessions/${id}?owner=${owner}`);
    if (res.status !== 204) this.fail(`delete session: ${res.status} ${JSON.stringify(res.json)}`);
    this.sessions.delete(id);
  }

  async deleteAll(): Promise<void> {
    for (const id of [...this.sessions]) await this.delete(id).catch((e: unknown) => this.fail(`delete: ${String(e)}`));
  }

  async execute(id: string, code: string, tools: unknown[] = []): Promise<any> {
    const res = await this.call("POST", `/v1/sessions/${id}/executions`, { owner, code, tools });
    if (res.status !== 200) throw new Error(`execute: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }

  async toolResults(id: string, execution: string, results: unknown[]): Promise<any> {
    const res = await this.call("POST", `/v1/sessions/${id}/executions/${execution}/tool-results`, { owner, results });
    if (res.status !== 200) throw new Error(`tool-results: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }
}

/** Runs `step` up to `count` times or until `maxMs` has passed; a throwing step counts as a failure. */
async function bounded(client: Client, count: number, maxMs: number, step: () => Promise<void>): Promise<void> {
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    try {
      await step();
    } catch (error) {
      client.fail(error instanceof Error ? error.message : String(error));
    }
  }
}

/**
 * Session starts, each once the pool is back to `poolSize` idle (0: cold, every start spawns a sandbox).
 * POST /v1/sessions returns once bwrap is spawned, without waiting for Python to be up, so a cold
 * start's real cost lands on the first execution: each sample also times create + a first print(1).
 */
async function sessionStarts(service: Service, client: Client, poolSize: number, count: number, maxMs: number): Promise<{ create: number[]; ready: number[] }> {
  const create: number[] = [];
  const ready: number[] = [];
  await bounded(client, count, maxMs, async () => {
    await untilPoolIdle(service.url, poolSize, 10_000);
    // /health counts a runtime idle once bwrap is spawned, before its Python is up: give the
    // replacement time to finish starting, so a warm sample really takes a ready runner.
    if (poolSize > 0) await Bun.sleep(refillSettleMs);
    const began = performance.now();
    const id = await client.create();
    const created = performance.now();
    if (id === undefined) return;
    try {
      const result = await client.execute(id, "print(1)");
      const done = performance.now();
      if (result.status !== "completed" || result.stdout !== "1\n") throw new Error(`first print(1): ${JSON.stringify(result)}`);
      create.push(created - began);
      ready.push(done - began);
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

async function spawnPython(python: string): Promise<number> {
  const began = performance.now();
  const child = Bun.spawn([python, "-c", "print(1)"], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
  const out = await new Response(child.stdout).text();
  await child.exited;
  if (out !== "1\n" || child.exitCode !== 0) throw new Error(`python3 -c print(1): exit ${child.exitCode}, ${JSON.stringify(out)}`);
  return performance.now() - began;
}

async function executions(client: Client, python: string): Promise<{ sandbox: number[]; direct: number[] }> {
  const sandbox: number[] = [];
  const direct: number[] = [];
  const id = await client.create();
  if (id === undefined) return { sandbox, direct };
  const once = async () => {
    const began = performance.now();
    const result = await client.execute(id, "print(1)");
    const elapsed = performance.now() - began;
    if (result.status !== "completed" || result.stdout !== "1\n") throw new Error(`print(1): ${JSON.stringify(result)}`);
    return elapsed;
  };
  await bounded(client, 5, 5_000, async () => {
    await once();
    await spawnPython(python);
  });
  // Interleaved, so both see the same machine.
  await bounded(client, 100, 20_000, async () => {
    sandbox.push(await once());
    direct.push(await spawnPython(python));
  });
  await client.delete(id);
  return { sandbox, direct };
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
    if (first.status !== "tool_calls" || first.calls?.length !== 1) throw new Error(`tool execute: ${JSON.stringify(first)}`);
    const resumed = performance.now();
    const done = await client.toolResults(id, first.execution_id, [{ call_id: first.calls[0].call_id, content: "v" }]);
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

interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  rss: number;
}

async function processes(): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = await readFile(`/proc/${name}/status`, "utf8");
      if (/^State:\s+[ZX]/m.test(status)) continue;
      const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      found.push({ pid: Number(name), ppid: field("PPid"), uid: field("Uid"), rss: field("VmRSS") * 1024 });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

async function pss(pid: number): Promise<number> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

const inRange = (uid: number) => uid >= uidBase && uid < uidBase + uidCount;

async function sandboxMemory(servicePid: number): Promise<{ uidRss: number; uidPss: number; treeRss: number; count: number; serviceRss: number }> {
  const all = await processes();
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const tree: ProcessInfo[] = [];
  const queue = [...(children.get(servicePid) ?? [])];
  while (queue.length > 0) {
    const p = queue.shift() as ProcessInfo;
    tree.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  const owned = all.filter((p) => inRange(p.uid));
  let uidPss = 0;
  for (const p of owned) uidPss += await pss(p.pid);
  return {
    uidRss: owned.reduce((sum, p) => sum + p.rss, 0),
    uidPss,
    treeRss: tree.reduce((sum, p) => sum + p.rss, 0),
    count: owned.length,
    serviceRss: all.find((p) => p.pid === servicePid)?.rss ?? 0,
  };
}

async function idleMemory(service: Service, client: Client): Promise<SandboxMemory> {
  await untilPoolIdle(service.url, sandboxPoolSize, 10_000);
  await Bun.sleep(300);
  const before = await sandboxMemory(service.pid);
  const made: string[] = [];
  await bounded(client, idleSessions, 30_000, async () => {
    const id = await client.create();
    if (id !== undefined) made.push(id);
  });
  // The pool refills behind the sessions: measure with it full again, as before.
  await untilPoolIdle(service.url, sandboxPoolSize, 20_000);
  await Bun.sleep(500);
  const after = await sandboxMemory(service.pid);
  for (const id of made) await client.delete(id);
  return {
    sessions: made.length,
    uidRssBefore: before.uidRss,
    uidRssAfter: after.uidRss,
    uidPssBefore: before.uidPss,
    uidPssAfter: after.uidPss,
    treeRssBefore: before.treeRss,
    treeRssAfter: after.treeRss,
    processesAfter: after.count,
    serviceRss: after.serviceRss,
  };
}

export async function measureSandbox(log: (line: string) => void): Promise<SandboxResults> {
  const python = await realPython();
  let warm: Service | undefined;
  let cold: Service | undefined;
  const warmClient = { current: undefined as Client | undefined };
  try {
    warm = await startSandbox(sandboxPoolSize);
    const client = new Client(warm.url);
    warmClient.current = client;
    log(`  sandbox service ${warm.url} (pid ${warm.pid}), pool ${sandboxPoolSize}; baseline interpreter ${python}`);
    await sessionStarts(warm, client, sandboxPoolSize, 3, 10_000); // warm-up
    const warmStarts = await sessionStarts(warm, client, sandboxPoolSize, 40, 30_000);
    const exec = await executions(client, python);
    const tool = await toolRoundTrips(client);
    const memory = await idleMemory(warm, client);
    await client.deleteAll();
    await warm.stop();
    warm = undefined;

    cold = await startSandbox(0);
    const coldClient = new Client(cold.url);
    await sessionStarts(cold, coldClient, 0, 2, 10_000); // warm-up (page cache, JIT)
    const coldStarts = await sessionStarts(cold, coldClient, 0, 20, 30_000);
    await coldClient.deleteAll();
    await cold.stop();
    cold = undefined;

    const leftover = (await processes()).filter((p) => inRange(p.uid)).length;
    return {
      warmStart: stats(warmStarts.create),
      coldStart: stats(coldStarts.create),
      warmReady: stats(warmStarts.ready),
      coldReady: stats(coldStarts.ready),
      execution: stats(exec.sandbox),
      directPython: stats(exec.direct),
      pythonPath: python,
      toolResume: stats(tool.resume),
      toolFull: stats(tool.full),
      memory,
      failures: client.failures + coldClient.failures,
      firstFailure: client.firstFailure ?? coldClient.firstFailure,
      leftover,
    };
  } catch (error) {
    const tail = warm?.stderrTail() ?? cold?.stderrTail() ?? "";
    throw new Error(`${error instanceof Error ? error.message : String(error)}${tail ? `\nsandbox stderr (tail):\n${tail}` : ""}`);
  } finally {
    await warmClient.current?.deleteAll().catch(() => {});
    await warm?.stop();
    await cold?.stop();
  }
}
