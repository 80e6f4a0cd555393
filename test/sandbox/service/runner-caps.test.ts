/**
 * The service's own caps on what a runner sends, enforced as frames are read, whatever the runner
 * does: here a "rogue runner" (in a real bwrap sandbox) that lets each execution's code write any
 * frame it likes, the worst a runner taken over by its code could do.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadSandboxConfig } from "../../../sandbox/src/config.ts";
import { runnerLimits } from "../../../sandbox/src/protocol/limits.ts";
import { createService, type Service } from "../../../sandbox/src/service.ts";
import type { SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";
import { scopedRuntime } from "../runtime/runtimes.ts";
import { TOKEN } from "./harness.ts";

/** Runs each `execute` message's code with `send(message)`, `receive()` and the execution id `eid` in scope. */
const ROGUE_RUNNER = `import os, sys
sys.path.insert(0, '/runner')
from framing import read_frame, write_frame
def send(message): write_frame(1, message)
def receive(): return read_frame(0)
send({'type': 'ready'})
while (message := receive()) is not None:
    if message.get('type') == 'execute':
        exec(message['code'], {'send': send, 'receive': receive, 'eid': message['execution_id']})`;

const OUTPUT_CAP = 64 * 1024;

describe("the service's caps on a runner's frames", () => {
  let service: Service;
  let runtime: SandboxRuntime;
  beforeAll(async () => {
    const bwrap = scopedRuntime("bwrap", "178500").runtime;
    runtime = Object.assign(Object.create(bwrap) as SandboxRuntime, {
      start: (spec: Parameters<SandboxRuntime["start"]>[0]) => bwrap.start({ ...spec, command: ["python3", "-I", "-c", ROGUE_RUNNER] }),
    });
    const config = loadSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_POOL_SIZE: "0", SANDBOX_MAX_OUTPUT_BYTES: String(OUTPUT_CAP), SANDBOX_EXEC_TIMEOUT_S: "20" });
    service = await createService(config, { runtime });
  });
  afterAll(async () => {
    await service.close();
    await runtime.reapOrphans();
  });

  async function execute(code: string): Promise<{ status: string; error_code?: string; stdout?: string; calls?: unknown[] }> {
    const session = await service.sessions.create("alice");
    return service.sessions.execute(session.session_id, "alice", code, [{ name: "t" }]);
  }

  test("a 40 MB completed frame is refused from its length prefix: nothing of it comes back, and it is never buffered", async () => {
    const rssBefore = process.memoryUsage().rss;
    const result = await execute("send({'type': 'completed', 'execution_id': eid, 'stdout': 'F' * (40 << 20), 'stderr': '', 'return_code': 0})");
    expect(result).toMatchObject({ status: "failed", error_code: "unavailable", stdout: "" });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(30 * 1024 * 1024);
  }, 30_000);

  test("output past SANDBOX_MAX_OUTPUT_BYTES in a frame under the frame cap is refused", async () => {
    const result = await execute(`send({'type': 'completed', 'execution_id': eid, 'stdout': 'F' * ${OUTPUT_CAP + 1}, 'stderr': '', 'return_code': 0})`);
    expect(result).toMatchObject({ status: "failed", error_code: "unavailable", stdout: "" });
  });

  test("more tool calls in one message than the cap are refused", async () => {
    const result = await execute("send({'type': 'tool_calls', 'execution_id': eid, 'calls': [{'call_id': f'c{i}', 'name': 't', 'input': {}} for i in range(257)]})");
    expect(result).toMatchObject({ status: "failed", error_code: "unavailable" });
  });

  test("past the bytes one execution may send in all (16 frames of the largest size), the execution fails", async () => {
    const { maxFrameBytes, maxExecutionBytes } = runnerLimits(OUTPUT_CAP);
    const code = `for i in range(${Math.ceil(maxExecutionBytes / maxFrameBytes) + 1}):
    send({'type': 'tool_calls', 'execution_id': eid, 'calls': [{'call_id': f'c{i}', 'name': 't', 'input': {'blob': 'x' * ${maxFrameBytes - 1024}}}]})
    receive()`;
    const session = await service.sessions.create("alice");
    let result = await service.sessions.execute(session.session_id, "alice", code, [{ name: "t" }]);
    let rounds = 0;
    while (result.status === "tool_calls") {
      rounds += 1;
      const callId = result.calls[0]?.call_id ?? "";
      result = await service.sessions.submitToolResults(session.session_id, "alice", result.execution_id, [{ call_id: callId, content: "ok" }]);
    }
    expect(rounds).toBe(maxExecutionBytes / maxFrameBytes);
    expect(result).toMatchObject({ status: "failed", error_code: "unavailable" });
  }, 120_000);

  test("a frame nobody asked for ends the session's runtime", async () => {
    const session = await service.sessions.create("alice");
    const twice = "m = {'type': 'completed', 'execution_id': eid, 'stdout': 'once', 'stderr': '', 'return_code': 0}\nsend(m)\nsend(m)";
    expect(await service.sessions.execute(session.session_id, "alice", twice, [])).toMatchObject({ status: "completed", stdout: "once" });
    await Bun.sleep(500);
    expect(await service.sessions.execute(session.session_id, "alice", "send({'type': 'completed', 'execution_id': eid, 'stdout': 'again', 'stderr': '', 'return_code': 0})", [])).toMatchObject({ status: "failed", error_code: "unavailable" });
  });
});
