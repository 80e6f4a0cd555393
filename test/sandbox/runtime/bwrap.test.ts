import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_BINARIES } from "../../../sandbox/src/runtime/bwrap-args.ts";
import { BwrapRuntime } from "../../../sandbox/src/runtime/bwrap.ts";
import { pidsOwnedBy } from "../../../sandbox/src/runtime/host-processes.ts";
import { runtimeContract } from "./contract.ts";
import { startPython, TEST_LIMITS, waitForOutput } from "./run-python.ts";

describe("bwrap prerequisites", () => {
  // A missing bwrap fails loudly (never skips): the sandbox service needs it.
  test("bubblewrap is installed", () => {
    if (!existsSync(DEFAULT_BINARIES.bwrap)) throw new Error(`bubblewrap not found at ${DEFAULT_BINARIES.bwrap}: apt-get install bubblewrap`);
  });

  test("check() and start() without bwrap say how to install it", async () => {
    const runtime = new BwrapRuntime({ binaries: { ...DEFAULT_BINARIES, bwrap: "/nonexistent/bwrap" } });
    expect(runtime.check()).rejects.toThrow("apt-get install bubblewrap");
    expect(runtime.start({ id: "x", command: ["true"], limits: TEST_LIMITS })).rejects.toThrow("apt-get install bubblewrap");
  });

  test("check() refuses a bwrap that cannot make a sandbox, in bwrap's words and saying what a container needs", async () => {
    const runtime = new BwrapRuntime({ runnerDir: "/nonexistent/runner" });
    const failure = runtime.check();
    await expect(failure).rejects.toThrow("Can't find source path /nonexistent/runner");
    await expect(failure).rejects.toThrow("--security-opt seccomp=unconfined --security-opt systempaths=unconfined");
    await new BwrapRuntime().check();
  });

  test("check() as any user but root says bwrap needs root, or the docker runtime", () => {
    const module = resolve(import.meta.dir, "../../../sandbox/src/runtime/bwrap.ts");
    const asNobody = Bun.spawnSync([DEFAULT_BINARIES.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", `const { BwrapRuntime } = await import(${JSON.stringify(module)}); await new BwrapRuntime().check();`], { env: { PATH: process.env.PATH ?? "", HOME: "/tmp" } });
    expect(asNobody.exitCode).not.toBe(0);
    expect(asNobody.stderr.toString()).toContain("bwrap gives each sandbox a host uid of its own, which needs root: run the service as root (in a container, --user 0), or use SANDBOX_RUNTIME=docker");
  });
});

describe("bwrap host identity", () => {
  test("each live sandbox runs under its own host uid from the range, never root", async () => {
    const runtime = new BwrapRuntime({ uidBase: 195_000, uidCount: 10 });
    const sleep = "import time; print('up', flush=True); time.sleep(30)";
    const a = await startPython(runtime, sleep);
    const b = await startPython(runtime, sleep);
    try {
      await Promise.all([waitForOutput(a.stdout, "up"), waitForOutput(b.stdout, "up")]);
      const uidsA = await pidsOwnedBy((uid) => uid === 195_000);
      const uidsB = await pidsOwnedBy((uid) => uid === 195_001);
      // bwrap monitor + python (pid 1 inside), for each sandbox.
      expect(uidsA.length).toBe(2);
      expect(uidsB.length).toBe(2);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
    }
    expect(await pidsOwnedBy((uid) => uid >= 195_000 && uid < 195_010)).toEqual([]);
  });
});

// Uid ranges of their own, so these tests never touch a real service's sandboxes.
runtimeContract("bwrap", 190_000);
