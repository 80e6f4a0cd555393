import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RUNTIME_KINDS } from "../runtime/runtimes.ts";
import { eventually, type Harness, startHarness } from "./harness.ts";

for (const [index, kind] of RUNTIME_KINDS.entries()) {
  const uidBase = 181_000 + index * 1000;
  describe(`${kind} runtime`, () => {
    describe("execution and tool-result timeouts", () => {
      let h: Harness;
      beforeAll(async () => {
        h = await startHarness(kind, { SANDBOX_EXEC_TIMEOUT_S: "2", SANDBOX_TOOL_RESULT_TIMEOUT_S: "4" }, uidBase);
      });
      afterAll(async () => {
        await h.close();
      });

      test("an endless loop → execution_time_exceeded, and the session is unavailable afterwards", async () => {
        const id = await h.newSession();
        const started = performance.now();
        const result = await h.execute(id, "while True: pass");
        expect(result).toMatchObject({ status: "failed", error_code: "execution_time_exceeded" });
        expect(performance.now() - started).toBeLessThan(4000);
        expect(await h.execute(id, "print(1)")).toMatchObject({ status: "failed", error_code: "unavailable" });
        expect((await h.call("GET", "/health")).status).toBe(200);
      });

      test("time spent waiting for tool results is not counted", async () => {
        const id = await h.newSession();
        const first = await h.execute(id, "import time\ntime.sleep(1.2)\nv = await slow()\ntime.sleep(1.2)\nprint(v)", [{ name: "slow" }]);
        expect(first.status).toBe("tool_calls");
        await Bun.sleep(2500); // longer than the 2 s execution timeout
        const done = await h.toolResults(id, first.execution_id, [{ call_id: first.calls[0]?.call_id, content: "late but fine" }]);
        expect(done).toMatchObject({ status: "completed", stdout: "late but fine\n" });
      }, 15_000);

      test("results that never come → tool_result_timeout, then unavailable", async () => {
        const id = await h.newSession();
        const first = await h.execute(id, "print(await never())", [{ name: "never" }]);
        expect(first.status).toBe("tool_calls");
        await Bun.sleep(4500);
        const late = await h.toolResults(id, first.execution_id, [{ call_id: first.calls[0]?.call_id, content: "x" }]);
        expect(late).toMatchObject({ status: "failed", error_code: "tool_result_timeout" });
        expect(await h.execute(id, "print(1)")).toMatchObject({ status: "failed", error_code: "unavailable" });
      }, 15_000);

      test("tool results for an unknown execution are 404, with unknown call ids 400", async () => {
        const id = await h.newSession();
        expect((await h.call("POST", `/v1/sessions/${id}/executions/exec_nope/tool-results`, { owner: "alice", results: [{ call_id: "c", content: 1 }] })).status).toBe(404);
        const first = await h.execute(id, "print(await t())", [{ name: "t" }]);
        const bad = await h.call("POST", `/v1/sessions/${id}/executions/${first.execution_id}/tool-results`, { owner: "alice", results: [{ call_id: "nope", content: 1 }] });
        expect(bad.status).toBe(400);
        const busy = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "alice", code: "print(1)" });
        expect(busy.status).toBe(409);
        expect(await h.toolResults(id, first.execution_id, [{ call_id: first.calls[0]?.call_id, content: 7 }])).toMatchObject({ stdout: "7\n" });
      });
    });

    describe("idle expiry", () => {
      let h: Harness;
      beforeAll(async () => {
        h = await startHarness(kind, { SANDBOX_IDLE_TIMEOUT_S: "1" }, uidBase + 100);
      });
      afterAll(async () => {
        await h.close();
      });

      test("an idle session is reaped with its runtime", async () => {
        const id = await h.newSession();
        expect((await h.execute(id, "open('f','w').write('x')")).status).toBe("completed");
        await eventually(async () => (await h.live()) === 2, 5000); // the session's and the refilled warm one
        await eventually(async () => (await h.call("GET", `/v1/sessions/${id}?owner=alice`)).status === 404, 4000);
        expect((await h.call("GET", "/health")).json.sessions).toBe(0);
        // Only the warm pool's runtime is left.
        await eventually(async () => (await h.live()) === 1, 5000);
      });
    });

    describe("capacity", () => {
      let h: Harness;
      beforeAll(async () => {
        h = await startHarness(kind, { SANDBOX_MAX_SESSIONS: "1", SANDBOX_POOL_SIZE: "0" }, uidBase + 200);
      });
      afterAll(async () => {
        await h.close();
      });

      test("with no warm pool a session still starts; past SANDBOX_MAX_SESSIONS creation is refused with 503", async () => {
        const id = await h.newSession();
        expect((await h.execute(id, "print('cold')")).stdout).toBe("cold\n");
        const refused = await h.call("POST", "/v1/sessions", { owner: "bob" });
        expect(refused.status).toBe(503);
        expect(refused.json.error?.message).toContain("too many sessions");
        expect((await h.call("DELETE", `/v1/sessions/${id}?owner=alice`)).status).toBe(204);
        expect((await h.call("POST", "/v1/sessions", { owner: "bob" })).status).toBe(201);
      });
    });
  });
}
