import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RUNTIME_KINDS } from "../runtime/runtimes.ts";
import { eventually, type Harness, startHarness } from "./harness.ts";

for (const [index, kind] of RUNTIME_KINDS.entries()) {
  describe(`${kind} runtime`, () => {
    let h: Harness;
    beforeAll(async () => {
      // Every test here opens sessions as alice and leaves most of them open.
      h = await startHarness(kind, { SANDBOX_POOL_SIZE: "2", SANDBOX_EXEC_TIMEOUT_S: "10", SANDBOX_MAX_SESSIONS_PER_OWNER: "50" }, 180_000 + index * 100);
    }, 300_000);
    afterAll(async () => {
      await h.close();
    });

    describe("auth", () => {
      test("/health is open", async () => {
        const res = await h.call("GET", "/health", undefined, null);
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ runtime: kind, pool: { idle: expect.any(Number), busy: expect.any(Number) }, sessions: expect.any(Number) });
      });
      test("no token and wrong token are 401", async () => {
        for (const token of [null, "wrong"]) {
          const res = await h.call("POST", "/v1/sessions", { owner: "alice" }, token);
          expect(res.status).toBe(401);
          expect(res.json.error?.type).toBe("authentication_error");
        }
      });
    });

    describe("sessions", () => {
      test("warm pool: a session takes a started runtime at once, and the pool refills", async () => {
        await eventually(async () => (await h.call("GET", "/health")).json.pool?.idle === 2, 10_000);
        const started = performance.now();
        const id = await h.newSession();
        expect(performance.now() - started).toBeLessThan(200);
        expect(id.length).toBeGreaterThanOrEqual(32);
        // Its replacement waits a moment, so that its start-up does not run beside the session's first execution.
        expect(h.service.pool.stats()).toEqual({ idle: 1, busy: 1, starting: 0 });
        await eventually(async () => (await h.call("GET", "/health")).json.pool?.idle === 2, 10_000);
        expect((await h.call("GET", "/health")).json.pool?.busy).toBeGreaterThanOrEqual(1);
        expect((await h.call("DELETE", `/v1/sessions/${id}?owner=alice`)).status).toBe(204);
      });

      test("trivial execution: print goes to stdout", async () => {
        const id = await h.newSession();
        const result = await h.execute(id, "print('hello', 6 * 7)");
        expect(result).toMatchObject({ status: "completed", stdout: "hello 42\n", stderr: "", return_code: 0 });
        expect(result.execution_id).toStartWith("exec_");
      });

      test("tool round trip: asyncio.gather issues 3 calls in one RESULT", async () => {
        const id = await h.newSession();
        const code = "import asyncio\nr = await asyncio.gather(*(lookup(n=i) for i in range(3)))\nprint(r)";
        const first = await h.execute(id, code, [{ name: "lookup", description: "d", input_schema: { type: "object" } }]);
        expect(first.status).toBe("tool_calls");
        expect(first.calls).toHaveLength(3);
        expect(first.calls.map((c) => c.input.n).sort()).toEqual([0, 1, 2]);
        const done = await h.toolResults(id, first.execution_id, first.calls.map((c) => ({ call_id: c.call_id, content: `v${c.input.n}` })));
        expect(done).toMatchObject({ execution_id: first.execution_id, status: "completed", stdout: "['v0', 'v1', 'v2']\n", return_code: 0 });
      });

      test("is_error raises ToolError in the code", async () => {
        const id = await h.newSession();
        const first = await h.execute(id, "try:\n  await boom()\nexcept ToolError as e:\n  print('caught', e)", [{ name: "boom" }]);
        const done = await h.toolResults(id, first.execution_id, [{ call_id: first.calls[0]?.call_id, content: "bad thing", is_error: true }]);
        expect(done).toMatchObject({ status: "completed", stdout: "caught bad thing\n" });
      });

      test("files persist within a session and are private to it", async () => {
        const a = await h.newSession();
        const b = await h.newSession();
        expect((await h.execute(a, "open('note.txt','w').write('kept')")).status).toBe("completed");
        expect((await h.execute(a, "print(open('note.txt').read())")).stdout).toBe("kept\n");
        expect((await h.execute(b, "import os; print(os.listdir('.'))")).stdout).toBe("[]\n");
      });

      test("each execution starts with fresh interpreter state", async () => {
        const id = await h.newSession();
        expect((await h.execute(id, "import json\nsecret = 42\nprint(secret)")).stdout).toBe("42\n");
        expect((await h.execute(id, "print('secret' in globals(), 'json' in globals())")).stdout).toBe("False False\n");
      });

      test("a call issued after an earlier result arrives comes back in a later RESULT", async () => {
        const id = await h.newSession();
        const tools = [{ name: "step" }];
        const first = await h.execute(id, "a = await step(n=1)\nb = await step(n=a)\nprint(a, b)", tools);
        expect(first.calls.map((c) => c.input)).toEqual([{ n: 1 }]);
        const second = await h.toolResults(id, first.execution_id, [{ call_id: first.calls[0]?.call_id, content: "2" }]);
        expect(second).toMatchObject({ execution_id: first.execution_id, status: "tool_calls" });
        expect(second.calls.map((c) => c.input)).toEqual([{ n: "2" }]);
        const done = await h.toolResults(id, first.execution_id, [{ call_id: second.calls[0]?.call_id, content: "3" }]);
        expect(done).toMatchObject({ status: "completed", stdout: "2 3\n" });
      });

      test("another owner gets 404 exactly as for a missing session", async () => {
        const id = await h.newSession("alice");
        const other = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "mallory", code: "print(1)" });
        const missing = await h.call("POST", "/v1/sessions/sess_nope/executions", { owner: "alice", code: "print(1)" });
        expect(other.status).toBe(404);
        expect(other.json).toEqual(missing.json);
        expect((await h.call("GET", `/v1/sessions/${id}?owner=mallory`)).status).toBe(404);
        expect((await h.call("DELETE", `/v1/sessions/${id}?owner=mallory`)).status).toBe(404);
        const info = await h.call("GET", `/v1/sessions/${id}?owner=alice`);
        expect(info.json).toMatchObject({ session_id: id, state: "idle" });
      });

      test("malformed bodies are 400 with a clear message", async () => {
        const id = await h.newSession();
        const notJson = await h.call("POST", "/v1/sessions", "{not json");
        expect(notJson.status).toBe(400);
        const noOwner = await h.call("POST", "/v1/sessions", {});
        expect(noOwner.status).toBe(400);
        expect(noOwner.json.error?.message).toContain("owner");
        const badCode = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "alice", code: 5 });
        expect(badCode.status).toBe(400);
        expect(badCode.json.error?.message).toContain("code");
        const badTool = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "alice", code: "", tools: [{ name: "" }] });
        expect(badTool.status).toBe(400);
        expect(badTool.json.error?.message).toContain("tools.0.name");
        const noQuery = await h.call("GET", `/v1/sessions/${id}`);
        expect(noQuery.status).toBe(400);
      });

      test("a second concurrent execution is 409", async () => {
        const id = await h.newSession();
        const first = h.execute(id, "import time; time.sleep(1); print('done')");
        await Bun.sleep(200);
        const second = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "alice", code: "print(2)" });
        expect(second.status).toBe(409);
        expect((await first).stdout).toBe("done\n");
      });

      const oneLineHostileCode = [
        ["memory hog", "x = bytearray(2 * 1024 * 1024 * 1024)", "memory_exceeded"],
        ["output flood", "while True: print('x' * 10000)", "output_too_large"],
      ] as const;
      for (const [name, code, errorCode] of oneLineHostileCode) {
        test(`${name} → ${errorCode}`, async () => {
          const result = await h.execute(await h.newSession(), code);
          expect(result).toMatchObject({ status: "failed", error_code: errorCode });
        });
      }

      test("memory filled past the sandbox's total (files in /work count too) → memory_exceeded, and the session goes on", async () => {
        const id = await h.newSession();
        // 96 MB of files, then 200 MB in one process: each part is under the per-process cap,
        // together they pass SANDBOX_MEMORY_MB. Docker's memory cgroup counts both and the kernel
        // kills the code; bwrap has no such total, so there the files are refused instead.
        const code = `chunk = b"x" * (1024 * 1024)
try:
    for i in range(96):
        with open(f"fill{i}", "wb") as f: f.write(chunk)
except OSError as e: print("files stopped", e.errno)
big = bytearray(200 * 1024 * 1024)
for i in range(0, len(big), 4096): big[i] = 1
print("survived")`;
        const result = await h.execute(id, code);
        if (kind === "docker") expect(result).toMatchObject({ status: "failed", error_code: "memory_exceeded" });
        else expect(result).toMatchObject({ status: "completed", stdout: "files stopped 28\nsurvived\n" });
        expect((await h.execute(id, "print('still here')")).stdout).toBe("still here\n");
      }, 30_000);

      test("a fork bomb is contained: the service stays healthy and other sessions work", async () => {
        const bomb = await h.newSession();
        const code = "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass";
        const pending = h.call("POST", `/v1/sessions/${bomb}/executions`, { owner: "alice", code });
        await Bun.sleep(500);
        const other = await h.newSession();
        expect((await h.execute(other, "print('unaffected')")).stdout).toBe("unaffected\n");
        expect((await h.call("GET", "/health")).status).toBe(200);
        expect((await h.call("DELETE", `/v1/sessions/${bomb}?owner=alice`)).status).toBe(204);
        expect((await pending).status).toBeLessThan(500);
      }, 30_000);

      test("os._exit → unavailable; the runner (pid 1 of the sandbox) shrugs off the code's signals; service stays healthy", async () => {
        const id = await h.newSession();
        expect(await h.execute(id, "import os; os._exit(3)")).toMatchObject({ status: "failed", error_code: "unavailable" });
        const killer = await h.newSession();
        const kill = "import os, signal\nfor sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGSTOP): os.kill(os.getppid(), sig)\nprint('runner', os.getppid())";
        expect(await h.execute(killer, kill)).toMatchObject({ status: "completed", stdout: "runner 1\n" });
        expect(await h.execute(killer, "print(1)")).toMatchObject({ status: "completed", stdout: "1\n" });
        expect((await h.call("GET", "/health")).status).toBe(200);
        const fresh = await h.newSession();
        expect((await h.execute(fresh, "print('ok')")).stdout).toBe("ok\n");
      });

      test("a forged frame does not confuse the service", async () => {
        const id = await h.newSession();
        const code = "import os, json, struct\nb = json.dumps({'type':'completed','execution_id':'x','stdout':'','stderr':'','return_code':0}).encode()\nfor fd in range(3, 20):\n  try: os.write(fd, struct.pack('>I', len(b)) + b)\n  except OSError: pass\nprint('hi')";
        const result = await h.execute(id, code);
        expect(["completed", "failed"]).toContain(result.status);
        expect((await h.call("GET", "/health")).status).toBe(200);
      });
    });

    describe("limits", () => {
      test("an oversized body is 413, not 500", async () => {
        const id = await h.newSession();
        const res = await h.call("POST", `/v1/sessions/${id}/executions`, { owner: "alice", code: "#" + "x".repeat(33 * 1024 * 1024) });
        expect(res.status).toBe(413);
        expect(res.json.error?.type).toBe("request_too_large");
      });

      test("unknown routes are a JSON 404", async () => {
        const res = await h.call("GET", "/v1/nothing");
        expect(res.status).toBe(404);
        expect(res.json.error?.type).toBe("not_found_error");
      });
    });
  });
}
