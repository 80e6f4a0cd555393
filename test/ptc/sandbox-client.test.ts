import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createSandboxClient, type SandboxClient, SandboxFailure, SandboxSessionNotFound } from "../../src/ptc/sandbox-client.ts";
import { answersHttp, freePort, loopback, onFreePort, type ServiceProcess, startServiceProcess } from "../support/service-process.ts";

/**
 * The proxy's sandbox client against the real sandbox service (`bun sandbox/src/main.ts`, bwrap
 * runtime) on a uid range of its own, so it reaps no other test's sandboxes.
 */

const token = `client-test-${crypto.randomUUID()}`;
const uidBase = 221_000;
const serviceEnv = {
  SANDBOX_TOKEN: token,
  SANDBOX_RUNTIME: "bwrap",
  SANDBOX_UID_BASE: String(uidBase),
  SANDBOX_POOL_SIZE: "1",
  SANDBOX_EXEC_TIMEOUT_S: "2",
  SANDBOX_TOOL_RESULT_TIMEOUT_S: "1",
  SANDBOX_MAX_SESSIONS_PER_OWNER: "2",
  SANDBOX_MAX_OUTPUT_BYTES: "10000",
  SANDBOX_WORK_DIR_MB: "4",
};

let service: ServiceProcess & { url: string };
let client: SandboxClient;

beforeAll(async () => {
  if (!Bun.which("bwrap")) throw new Error("bwrap is not on PATH; the sandbox client tests need it: apt-get install bubblewrap");
  service = await onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const started = await startServiceProcess({
      name: `sandbox service on port ${port}`,
      command: [process.execPath, resolve(import.meta.dir, "../../sandbox/src/main.ts")],
      env: { PATH: process.env.PATH ?? "", SANDBOX_PORT: String(port), SANDBOX_HOST: loopback, ...serviceEnv },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: 20_000,
    });
    return { ...started, url };
  });
  client = createSandboxClient({ url: service.url, token, timeoutMs: 10_000 });
}, 30_000);

afterAll(async () => {
  await service?.stop();
});

const owner = () => `key_${crypto.randomUUID()}`;
/** No one listens there: the port was free a moment ago. */
const nowhere = () => `http://${loopback}:${freePort()}`;

async function session(who: string): Promise<string> {
  return (await client.createSession(who)).sessionId;
}

describe("sandbox client", () => {
  test("ready: the service answers and takes the token", async () => {
    await client.ready();
  });

  test("ready fails, saying why, on a wrong token and on a service that is not there", async () => {
    await expect(createSandboxClient({ url: service.url, token: "wrong", timeoutMs: 10_000 }).ready()).rejects.toThrow("the sandbox service refuses SANDBOX_TOKEN");
    await expect(createSandboxClient({ url: nowhere(), token, timeoutMs: 10_000 }).ready()).rejects.toThrow(/could not be reached/);
  });

  test("a session: created for an owner, its expiry readable by that owner only", async () => {
    const who = owner();
    const before = Date.now();
    const { sessionId, expiresAt } = await client.createSession(who);
    expect(sessionId).toStartWith("sess_");
    expect(Date.parse(expiresAt)).toBeGreaterThan(before);
    expect(Date.parse((await client.expiresAt(sessionId, who)) ?? "")).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(await client.expiresAt(sessionId, owner())).toBeUndefined();
    expect(await client.expiresAt("sess_unknown", who)).toBeUndefined();
  });

  test("code without tools runs to its end: stdout, stderr and return code", async () => {
    const who = owner();
    const step = await client.execute(await session(who), who, "import sys\nprint('hello')\nprint('oops', file=sys.stderr)\nsys.exit(3)", []);
    expect(step).toEqual({
      status: "done",
      executionId: expect.stringMatching(/^exec_/),
      outcome: { type: "code_execution_result", stdout: "hello\n", stderr: "oops\n", return_code: 3, content: [] },
    });
  }, 15_000);

  test("code that calls tools pauses with the calls (gathered ones together), then runs on with their results", async () => {
    const who = owner();
    const sessionId = await session(who);
    const code = [
      "import asyncio",
      "a, b = await asyncio.gather(get_weather(city='Paris'), get_weather(city='Oslo'))",
      "print(a, b)",
      "try:",
      "    await get_time(zone='UTC')",
      "except ToolError as e:",
      "    print('failed:', e)",
    ].join("\n");
    const tools = [{ name: "get_weather", description: "Weather of a city" }, { name: "get_time" }];
    const first = await client.execute(sessionId, who, code, tools);
    if (first.status !== "tool_calls") throw new Error(`expected tool calls, got ${JSON.stringify(first)}`);
    expect(first.calls.map(({ name, input }) => ({ name, input }))).toEqual([
      { name: "get_weather", input: { city: "Paris" } },
      { name: "get_weather", input: { city: "Oslo" } },
    ]);
    const results = first.calls.map((call, i) => ({ call_id: call.callId, content: i === 0 ? "sunny" : "rain" }));
    const second = await client.submitToolResults(sessionId, who, first.executionId, results);
    if (second.status !== "tool_calls") throw new Error(`expected tool calls, got ${JSON.stringify(second)}`);
    expect(second.executionId).toBe(first.executionId);
    expect(second.calls).toEqual([{ callId: expect.any(String), name: "get_time", input: { zone: "UTC" } }]);
    const callId = second.calls[0]?.callId ?? "";
    const done = await client.submitToolResults(sessionId, who, first.executionId, [{ call_id: callId, content: "no clock", is_error: true }]);
    expect(done).toMatchObject({ status: "done", executionId: first.executionId, outcome: { type: "code_execution_result", stdout: "sunny rain\nfailed: no clock\n", return_code: 0 } });
  }, 15_000);

  test("code that runs too long: execution_time_exceeded", async () => {
    const who = owner();
    const step = await client.execute(await session(who), who, "while True: pass", []);
    expect(step).toMatchObject({ status: "done", outcome: { type: "code_execution_tool_result_error", error_code: "execution_time_exceeded" } });
  }, 15_000);

  test("output past the sandbox's cap, and memory past its limit: unavailable, with a message the model can act on", async () => {
    const who = owner();
    const flood = await client.execute(await session(who), who, "while True: print('x' * 1000)", []);
    expect(flood).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: expect.stringMatching(/output exceeded \d+ bytes.*print less/) } });
    const hog = await client.execute(await session(who), who, "x = bytearray(2 * 1024 * 1024 * 1024)", []);
    expect(hog).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: expect.stringContaining("more than the sandbox's memory") } });
  }, 20_000);

  test("tool results that come after the sandbox stopped waiting: unavailable, saying so", async () => {
    const who = owner();
    const sessionId = await session(who);
    const paused = await client.execute(sessionId, who, "print(await slow())", [{ name: "slow" }]);
    if (paused.status !== "tool_calls") throw new Error(`expected tool calls, got ${JSON.stringify(paused)}`);
    await Bun.sleep(2_000);
    const late = await client.submitToolResults(sessionId, who, paused.executionId, [{ call_id: paused.calls[0]?.callId ?? "", content: "x" }]);
    expect(late).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: expect.stringContaining("too late") } });
  }, 15_000);

  test("past the service's per-owner cap a new session is too_many_requests; other owners are not affected", async () => {
    const who = owner();
    await session(who);
    await session(who);
    const refused = await client.createSession(who).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SandboxFailure);
    expect(refused).toMatchObject({ outcome: { error_code: "too_many_requests", message: expect.stringContaining("429") } });
    await session(owner());
  }, 15_000);

  test("a session the service does not have (expired, another owner's): SandboxSessionNotFound, for the loop to treat as a gone container", async () => {
    const who = owner();
    const sessionId = await session(who);
    await expect(client.execute(sessionId, owner(), "print(1)", [])).rejects.toBeInstanceOf(SandboxSessionNotFound);
    await expect(client.submitToolResults("sess_unknown", who, "exec_x", [{ call_id: "c", content: 1 }])).rejects.toBeInstanceOf(SandboxSessionNotFound);
  });

  test("a service that is down: unavailable at once, never a hang or a throw mid-execution", async () => {
    const down = createSandboxClient({ url: nowhere(), token, timeoutMs: 10_000 });
    const started = performance.now();
    expect(await down.execute("sess_x", "o", "print(1)", [])).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: expect.stringContaining("could not be reached") } });
    expect(await down.submitToolResults("sess_x", "o", "exec_x", [{ call_id: "c", content: 1 }])).toMatchObject({ status: "done", executionId: "exec_x", outcome: { error_code: "unavailable" } });
    expect(await down.expiresAt("sess_x", "o")).toBeUndefined();
    const failure = await down.createSession("o").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SandboxFailure);
    expect(failure).toMatchObject({ outcome: { error_code: "unavailable" } });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("a wrong token: unavailable, naming the refusal", async () => {
    const wrong = createSandboxClient({ url: service.url, token: "wrong", timeoutMs: 10_000 });
    expect(await wrong.execute("sess_x", "o", "print(1)", [])).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: expect.stringContaining("401") } });
    await expect(wrong.createSession("o")).rejects.toMatchObject({ outcome: { error_code: "unavailable", message: expect.stringContaining("invalid token") } });
  });

  test("a service slower than the client's timeout: unavailable after the timeout", async () => {
    const who = owner();
    const sessionId = await session(who);
    const impatient = createSandboxClient({ url: service.url, token, timeoutMs: 300 });
    const started = performance.now();
    const step = await impatient.execute(sessionId, who, "import time\ntime.sleep(1.5)", []);
    expect(step).toMatchObject({ status: "done", outcome: { error_code: "unavailable", message: "the sandbox service did not answer within 300 ms" } });
    expect(performance.now() - started).toBeLessThan(1_200);
  }, 15_000);

  test("the caller's abort ends the call with the abort's reason", async () => {
    const who = owner();
    const sessionId = await session(who);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("client went away")), 200);
    await expect(client.execute(sessionId, who, "import time\ntime.sleep(1.5)", [], controller.signal)).rejects.toThrow("client went away");
  }, 15_000);
});
