import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pidsOwnedBy } from "../../../sandbox/src/runtime/host-processes.ts";

const MAIN = resolve(import.meta.dir, "../../../sandbox/src/main.ts");
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

test("docker runtime: clear start-up error", async () => {
  const proc = Bun.spawn(["bun", MAIN], { env: { ...process.env, SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "docker" }, stderr: "pipe", stdout: "ignore" });
  expect(await proc.exited).toBe(1);
  expect(await new Response(proc.stderr).text()).toContain("docker runtime not available yet");
});

test("real server: serves a session, and SIGTERM destroys every runtime and work dir", async () => {
  const workRoot = await mkdtemp(join(tmpdir(), "sandbox-main-test-"));
  dirs.push(workRoot);
  const proc = Bun.spawn(["bun", MAIN], {
    env: { ...process.env, SANDBOX_TOKEN: "main-test-token", SANDBOX_PORT: "0", SANDBOX_POOL_SIZE: "1", SANDBOX_WORK_ROOT: workRoot },
    stderr: "pipe",
    stdout: "ignore",
  });
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
  expect(await readdir(workRoot)).toEqual([]);
  expect(await pidsOwnedBy((uid) => uid >= 100_000 && uid < 101_000)).toEqual([]);
});
