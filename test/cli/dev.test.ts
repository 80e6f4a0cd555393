import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { processesOwnedBy } from "../../sandbox/src/runtime/host-processes.ts";
import { prepareRuntime, scopedRuntime, TEST_IMAGE } from "../sandbox/runtime/runtimes.ts";
import { answersHttp, loopback, onFreePort, startServiceProcess } from "../support/service-process.ts";

/**
 * `bun run dev` (scripts/dev.ts, without --watch) on a machine with no AWS configuration: the built-in
 * emulator, and a sandbox service of its own so programmatic tool calling works with no set-up.
 */

const script = resolve(import.meta.dir, "../../scripts/dev.ts");
/** Its own bwrap uid range, so it reaps no other test's sandboxes (and they none of its). */
const uidBase = 222_000;
const scratch = mkdtempSync(join(tmpdir(), "dev-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function startDev(env: Record<string, string>) {
  return onFreePort(async (port) => {
    const url = `http://${loopback}:${port}`;
    const home = mkdtempSync(join(scratch, "home-"));
    const service = await startServiceProcess({
      name: `bun run dev on port ${port}`,
      command: [process.execPath, script],
      // A home without ~/.aws and a scratch cwd without .env: what a fresh checkout on a new machine sees.
      cwd: home,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        PORT: String(port),
        HOST: loopback,
        LOG_LEVEL: "info",
        SQLITE_PATH: join(home, "proxy.db"),
        USAGE_SPOOL_PATH: join(home, "spool.jsonl"),
        SANDBOX_UID_BASE: String(uidBase),
        SANDBOX_POOL_SIZE: "1",
        SANDBOX_WORK_DIR_MB: "4",
        ...env,
      },
      ready: () => answersHttp(`${url}/health`),
      startupTimeoutMs: 30_000,
    });
    return { ...service, url, home };
  });
}

/** A PATH with bun and nothing else: no bwrap. */
function bunOnly(): string {
  const bin = mkdtempSync(join(scratch, "bin-"));
  symlinkSync(process.execPath, join(bin, "bun"));
  return bin;
}

const sandboxProcesses = () => processesOwnedBy((uid) => uid >= uidBase && uid < uidBase + 1000);

describe("bun run dev", () => {
  test("starts a sandbox service itself (bwrap here), and /ready checks it; stopping it stops every sandbox", async () => {
    if (!Bun.which("bwrap")) throw new Error("bwrap is not on PATH; this test needs it: apt-get install bubblewrap");
    const dev = await startDev({});
    try {
      const ready = await fetch(`${dev.url}/ready`);
      const body = (await ready.json()) as { checks: Record<string, string> };
      expect({ status: ready.status, sandbox: body.checks.sandbox }).toEqual({ status: 200, sandbox: "ok" });
      expect(dev.stderrTail()).toContain('"runtime":"bwrap"');
      expect((await sandboxProcesses()).length).toBeGreaterThan(0);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
    expect(await sandboxProcesses()).toEqual([]);
  }, 60_000);

  test("without MASTER_API_KEY it makes one, kept owner-only beside the SQLite file, and signs the portal in with it", async () => {
    const first = await startDev({ SANDBOX_URL: "http://127.0.0.1:9", SANDBOX_TOKEN: "unused" });
    const keyFile = join(first.home, "dev-master-key");
    try {
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = readFileSync(keyFile, "utf8").trim();
      expect((await fetch(`${first.url}/admin/api/keys`, { headers: { "x-api-key": key } })).status).toBe(200);
      expect((await fetch(`${first.url}/admin/api/keys`, { headers: { "x-api-key": "dev-not-the-key" } })).status).toBe(401);
      expect(first.stderrTail()).toContain(keyFile);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  }, 60_000);

  test("without bwrap it falls back to docker when the daemon answers and has the runtime image", async () => {
    await prepareRuntime("docker");
    const scope = `dev-test-${crypto.randomUUID()}`;
    const dev = await startDev({ PATH: bunOnly(), SANDBOX_IMAGE: TEST_IMAGE, SANDBOX_SCOPE: scope });
    try {
      const ready = await fetch(`${dev.url}/ready`);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.sandbox).toBe("ok");
      expect(dev.stderrTail()).toContain('"runtime":"docker"');
    } finally {
      expect(await dev.stop()).toBe(0);
    }
    expect(await scopedRuntime("docker", scope).leftovers()).toBe(0);
  }, 120_000);

  test("with no runtime that works (no bwrap, no Docker daemon) PTC is off, said once with why, and the proxy serves on", async () => {
    const dev = await startDev({ PATH: bunOnly(), DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    try {
      const ready = await fetch(`${dev.url}/ready`);
      const body = (await ready.json()) as { checks: Record<string, string> };
      expect(body.checks.sandbox).toBeUndefined();
      const off = dev.stderrTail().split("\n").filter((line) => line.includes("programmatic tool calling is off"));
      expect(off).toHaveLength(1);
      expect(off[0]).toContain("bwrap: not installed");
      expect(off[0]).toContain("SANDBOX_RUNTIME=docker: cannot reach the Docker daemon");
    } finally {
      await dev.stop();
    }
  }, 60_000);
});
