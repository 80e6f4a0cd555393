import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { freshScope, prepareRuntime, RUNTIME_KINDS, scopedRuntime, TEST_IMAGE } from "../runtime/runtimes.ts";

const MAIN = resolve(import.meta.dir, "../../../sandbox/src/main.ts");

test("docker runtime without a daemon: a start-up error that says what to do", async () => {
  const env = { ...process.env, SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "docker", DOCKER_HOST: "unix:///nonexistent/docker.sock" };
  const proc = Bun.spawn(["bun", MAIN], { env, stderr: "pipe", stdout: "ignore" });
  expect(await proc.exited).toBe(1);
  expect(await new Response(proc.stderr).text()).toContain("SANDBOX_RUNTIME=docker: cannot reach the Docker daemon");
});

for (const kind of RUNTIME_KINDS) {
  describe(`${kind}: the real server`, () => {
    test("serves a session over HTTP, and SIGTERM destroys every runtime", async () => {
      await prepareRuntime(kind);
      // bwrap: the service's default uid range (100000+); docker: a label of this test's own.
      const scope = freshScope(kind, 100_000);
      const env = { ...process.env, SANDBOX_TOKEN: "main-test-token", SANDBOX_PORT: "0", SANDBOX_POOL_SIZE: "1", SANDBOX_RUNTIME: kind, SANDBOX_IMAGE: TEST_IMAGE, SANDBOX_SCOPE: kind === "docker" ? scope : "sandbox-service" };
      const proc = Bun.spawn(["bun", MAIN], { env, stderr: "pipe", stdout: "ignore" });
      const reader = proc.stderr.getReader();
      let seen = "";
      let match: RegExpExecArray | null = null;
      while (!(match = /listening on (http:\/\/[^ ]+)/.exec(seen))) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`service ended: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      const base = match[1];
      const headers = { authorization: "Bearer main-test-token", "content-type": "application/json" };
      const created = await fetch(`${base}/v1/sessions`, { method: "POST", headers, body: JSON.stringify({ owner: "o" }) });
      expect(created.status).toBe(201);
      const { session_id } = (await created.json()) as { session_id: string };
      const run = await fetch(`${base}/v1/sessions/${session_id}/executions`, { method: "POST", headers, body: JSON.stringify({ owner: "o", code: "print('over http')" }) });
      expect(await run.json()).toMatchObject({ status: "completed", stdout: "over http\n" });

      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(await scopedRuntime(kind, scope).live()).toBe(0);
    }, 60_000);
  });
}
