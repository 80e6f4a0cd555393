import { describe, expect, test } from "bun:test";
import { answersHttp, killAll, loopback, onFreePort, startServiceProcess } from "../support/service-process.ts";

/** The supervisor the tests and the bench share: what a failed start says, and that nothing outlives a run. */

const bun = process.execPath;

function startEcho(port: number) {
  const script = `console.error("listening"); Bun.serve({ hostname: "${loopback}", port: ${port}, fetch: () => new Response("ok") });`;
  return startServiceProcess({ name: `echo on ${port}`, command: [bun, "-e", script], ready: () => answersHttp(`http://${loopback}:${port}/`), startupTimeoutMs: 10_000 });
}

describe("the process supervisor", () => {
  test("a process that dies at start-up fails with its exit code and the tail of its stderr", async () => {
    const failing = startServiceProcess({ name: "doomed", command: [bun, "-e", 'console.error("no config here"); process.exit(3)'], ready: async () => false, startupTimeoutMs: 10_000 });
    await expect(failing).rejects.toThrow(/doomed did not start \(exit code 3\):\n.*no config here/s);
  });

  test("a running service keeps its stderr tail; stop() ends it (null: a signal did)", async () => {
    const service = await onFreePort(startEcho);
    for (let i = 0; i < 100 && !service.stderrTail().includes("listening"); i++) await Bun.sleep(10);
    expect(service.stderrTail()).toContain("listening");
    expect(await service.stop()).toBe(null);
  });

  test("killAll ends every service still running, for exit and signal handlers", async () => {
    const service = await onFreePort(startEcho);
    killAll();
    await Bun.sleep(100);
    expect(() => process.kill(service.pid, 0)).toThrow();
  });
});
