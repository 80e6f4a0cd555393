import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseExposition, series, valueOf } from "../../support/prometheus.ts";
import { eventually, type Harness, startHarness } from "./harness.ts";

/** The sandbox service's GET /metrics (bwrap runtime): open like /health, and counting what it served. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness("bwrap", { SANDBOX_POOL_SIZE: "1", SANDBOX_EXEC_TIMEOUT_S: "10" }, 215_000);
}, 60_000);
afterAll(() => h.close());

async function scrape() {
  const response = await h.service.app.request("/metrics");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parseExposition(await response.text());
}

describe("sandbox /metrics", () => {
  test("needs no token, and shows the pool, the sessions and the start times", async () => {
    await eventually(async () => (await h.call("GET", "/health")).json.pool?.idle === 1, 10_000);
    const samples = await scrape();
    expect(series(samples, "abp_sandbox_pool_runtimes")).toEqual({ "state=idle": 1, "state=busy": 0, "state=starting": 0 });
    expect(valueOf(samples, "abp_sandbox_sessions")).toBe(0);
    expect(valueOf(samples, "abp_sandbox_runtime_start_seconds_count", { outcome: "ok" })).toBe(1);
  });

  test("counts execution steps by step and outcome", async () => {
    const session = await h.newSession();
    const paused = await h.execute(session, "print(await lookup(n=1))", [{ name: "lookup" }]);
    expect(paused.status).toBe("tool_calls");
    const done = await h.toolResults(session, paused.execution_id, paused.calls.map((c) => ({ call_id: c.call_id, content: "v" })));
    expect(done.status).toBe("completed");
    expect((await h.execute(session, "print('once more')")).status).toBe("completed");
    const samples = await scrape();
    expect(series(samples, "abp_sandbox_executions_total")).toEqual({ "step=execute,outcome=tool_calls": 1, "step=resume,outcome=completed": 1, "step=execute,outcome=completed": 1 });
    expect(series(samples, "abp_sandbox_execution_duration_seconds_count")).toEqual({ "step=execute": 2, "step=resume": 1 });
    expect(valueOf(samples, "abp_sandbox_sessions")).toBe(1);
    expect(valueOf(samples, "abp_sandbox_pool_runtimes", { state: "busy" })).toBe(1);
  }, 30_000);
});
