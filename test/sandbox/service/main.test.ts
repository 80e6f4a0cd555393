import { describe, expect, test } from "bun:test";
import { freshScope, prepareRuntime, RUNTIME_KINDS, scopedRuntime } from "../runtime/runtimes.ts";
import { MAIN, runInNewSession, startService } from "./real-service.ts";

test("docker runtime without a daemon: a start-up error that says what to do", async () => {
  const env = { ...process.env, SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "docker", DOCKER_HOST: "unix:///nonexistent/docker.sock" };
  const proc = Bun.spawn(["bun", MAIN], { env, stderr: "pipe", stdout: "ignore" });
  expect(await proc.exited).toBe(1);
  expect(await new Response(proc.stderr).text()).toContain("SANDBOX_RUNTIME=docker: cannot reach the Docker daemon");
});

test("docker runtime without its image: a start-up error that names the image and how to build it", async () => {
  const env = { ...process.env, SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "docker", SANDBOX_IMAGE: "abp-sandbox:not-built", SANDBOX_SCOPE: `test-${crypto.randomUUID()}` };
  const proc = Bun.spawn(["bun", MAIN], { env, stderr: "pipe", stdout: "ignore" });
  expect(await proc.exited).toBe(1);
  expect(await new Response(proc.stderr).text()).toContain("sandbox image abp-sandbox:not-built not found: build it with `bun run sandbox:image`");
});

for (const kind of RUNTIME_KINDS) {
  describe(`${kind}: the real server`, () => {
    const scope = freshScope(kind, 250_000);
    const sandboxes = scopedRuntime(kind, scope);

    test("serves a session over HTTP, and SIGTERM destroys every runtime", async () => {
      await prepareRuntime(kind);
      const { proc, base } = await startService(kind, scope);
      expect(await runInNewSession(base, "print('over http')")).toMatchObject({ status: "completed", stdout: "over http\n" });
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(await sandboxes.leftovers()).toBe(0);
    }, 60_000);

    test("after a crash (SIGKILL), the next start removes what the old run left", async () => {
      const crashed = await startService(kind, scope);
      expect(await runInNewSession(crashed.base, "open('f', 'w').write('x'); print('ok')")).toMatchObject({ stdout: "ok\n" });
      // Crash once the pool has refilled: a container whose creation is still in flight at the daemon
      // when the next run starts is only found by the periodic sweep, 30 s later.
      while (((await (await fetch(`${crashed.base}/health`)).json()) as { pool: { idle: number } }).pool.idle < 1) await Bun.sleep(20);
      crashed.proc.kill("SIGKILL");
      await crashed.proc.exited;
      const next = await startService(kind, scope);
      // The new run's own warm sandbox is all there is (its pool may still be starting it).
      expect(await sandboxes.leftovers()).toBeLessThanOrEqual(1);
      next.proc.kill("SIGTERM");
      expect(await next.proc.exited).toBe(0);
      expect(await sandboxes.leftovers()).toBe(0);
    }, 60_000);
  });
}
