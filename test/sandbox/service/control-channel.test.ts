/**
 * Hostile code against the runner's control channel, through the whole service on each runtime:
 * it cannot reach the runner, a forged result (small or of 40 MB) never comes back, a process it
 * leaves cannot read or answer later executions' frames, and nothing it started outlives its
 * execution.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { forgeCompleted, GENUINE, isForged, LEAVE_CPU_BOMB, LEAVE_FRAME_ANSWERER, MEASURE_CPU_BOMBS, OPEN_OTHERS_FDS } from "../hostile-code.ts";
import { RUNTIME_KINDS } from "../runtime/runtimes.ts";
import { type Harness, startHarness } from "./harness.ts";

const OUTPUT_CAP = 64 * 1024;

for (const [index, kind] of RUNTIME_KINDS.entries()) {
  describe(`${kind} runtime: the code never holds the control channel`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind, { SANDBOX_MAX_OUTPUT_BYTES: String(OUTPUT_CAP), SANDBOX_EXEC_TIMEOUT_S: "10" }, 178_000 + index * 100);
    }, 300_000);
    afterAll(async () => {
      await h.close();
    });

    test("no other process's fds (the runner's, the sandbox's stdio) can be opened through /proc by the code", async () => {
      const id = await h.newSession();
      expect(await h.execute(id, OPEN_OTHERS_FDS)).toMatchObject({ status: "completed", stdout: "refused\n" });
    });

    test("a forged completed frame, small or of 40 MB, never comes back", async () => {
      const id = await h.newSession();
      for (const forgedBytes of [10, 40 * 1024 * 1024]) {
        const result = await h.execute(id, forgeCompleted(forgedBytes));
        if (isForged(result.stdout)) console.log("SVCFORGE", kind, JSON.stringify({ ...result, stdout: result.stdout?.slice(0, 100) }).slice(0, 600));
        expect(isForged(result.stdout)).toBe(false);
        expect((result.stdout?.length ?? 0) + (result.stderr?.length ?? 0)).toBeLessThanOrEqual(OUTPUT_CAP);
      }
      // The service stays healthy; a session the forger did not break runs on.
      const other = await h.newSession();
      expect(await h.execute(other, "print('next')")).toMatchObject({ status: "completed", stdout: "next\n" });
    }, 60_000);

    test("a process left behind cannot read or answer the next 6 executions' frames", async () => {
      const id = await h.newSession();
      await h.execute(id, LEAVE_FRAME_ANSWERER);
      let forged = 0;
      for (let i = 0; i < 6; i++) {
        const result = await h.execute(id, `import time\ntime.sleep(0.2)\nprint('${GENUINE} ${i}')`);
        if (result.stdout !== `${GENUINE} ${i}\n`) forged += 1;
      }
      expect(forged).toBe(0);
    }, 120_000);

    test("a CPU bomb left behind is gone when the execution's result arrives", async () => {
      const id = await h.newSession();
      expect(await h.execute(id, LEAVE_CPU_BOMB)).toMatchObject({ status: "completed", stdout: "left a bomb\n" });
      expect(await h.execute(id, MEASURE_CPU_BOMBS)).toMatchObject({ status: "completed", stdout: "0 0.0\n" });
    }, 30_000);
  });
}
