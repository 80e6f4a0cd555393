/**
 * The code never holds the runner's control channel (runner level, as an unprivileged uid like a
 * sandbox's): it cannot forge a result, cannot leave a process that reads or answers later
 * executions' frames, and nothing it started outlives its execution.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { CompletedMessage, FailedMessage } from "../../sandbox/src/protocol/messages.ts";
import { forgeCompleted, GENUINE, isForged, LEAVE_CPU_BOMB, LEAVE_FRAME_ANSWERER, MEASURE_CPU_BOMBS, OPEN_OTHERS_FDS } from "./hostile-code.ts";
import { RunnerProcess } from "./runner-process.ts";

const OUTPUT_CAP = 64 * 1024;

describe("runner: the code never holds the control channel", () => {
  let runner: RunnerProcess;
  const fresh = () => (runner = new RunnerProcess({ asUid: 65534 }));
  afterEach(async () => {
    await runner.close();
  });

  /** An execution's answer, or undefined when none came within 5 s (a frame stolen on the way). */
  const runOrLost = (code: string): Promise<CompletedMessage | FailedMessage | undefined> =>
    Promise.race([runner.run(code, OUTPUT_CAP), Bun.sleep(5000).then(() => undefined)]);

  test("no other process's fds (the runner's, the sandbox's stdio) can be opened through /proc by the code", async () => {
    fresh();
    expect(await runner.run(OPEN_OTHERS_FDS)).toMatchObject({ type: "completed", stdout: "refused\n" });
  });

  test("a forged completed frame, small or of 40 MB, never comes back", async () => {
    fresh();
    for (const forgedBytes of [10, 40 * 1024 * 1024]) {
      const result = await runOrLost(forgeCompleted(forgedBytes));
      expect(result).toBeDefined();
      expect(isForged(result?.stdout)).toBe(false);
      expect((result?.stdout.length ?? 0) + (result?.stderr.length ?? 0)).toBeLessThanOrEqual(OUTPUT_CAP);
    }
    expect(await runOrLost("print('next')")).toMatchObject({ type: "completed", stdout: "next\n" });
  }, 60_000);

  test("a process left behind cannot read or answer the next executions' frames", async () => {
    fresh();
    expect(await runOrLost(LEAVE_FRAME_ANSWERER)).toMatchObject({ type: "completed" });
    let forgedOrLost = 0;
    for (let i = 0; i < 6; i++) {
      const result = await runOrLost(`import time\ntime.sleep(0.2)\nprint('${GENUINE} ${i}')`);
      if (result?.stdout !== `${GENUINE} ${i}\n`) forgedOrLost += 1;
    }
    expect(forgedOrLost).toBe(0);
  }, 60_000);

  test("a CPU bomb left behind is gone when the execution's result arrives", async () => {
    fresh();
    expect(await runner.run(LEAVE_CPU_BOMB)).toMatchObject({ type: "completed", stdout: "left a bomb\n" });
    expect(await runner.run(MEASURE_CPU_BOMBS)).toMatchObject({ type: "completed", stdout: "0 0.0\n" });
  }, 30_000);
});
