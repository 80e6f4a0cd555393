import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_BINARIES } from "../../../sandbox/src/runtime/bwrap-args.ts";
import { BwrapRuntime } from "../../../sandbox/src/runtime/bwrap.ts";
import { pidsOwnedBy } from "../../../sandbox/src/runtime/host-processes.ts";
import { runtimeContract } from "./contract.ts";
import { startPython, TEST_LIMITS, waitForOutput, WorkDirs } from "./run-python.ts";

describe("bwrap prerequisites", () => {
  // A missing bwrap fails loudly (never skips): the sandbox service needs it.
  test("bubblewrap is installed", () => {
    if (!existsSync(DEFAULT_BINARIES.bwrap)) throw new Error(`bubblewrap not found at ${DEFAULT_BINARIES.bwrap}: apt-get install bubblewrap`);
  });

  test("start() without bwrap says how to install it", async () => {
    const runtime = new BwrapRuntime({ binaries: { ...DEFAULT_BINARIES, bwrap: "/nonexistent/bwrap" } });
    const dir = await mkdtemp(join(tmpdir(), "sandbox-runtime-test-"));
    try {
      const start = runtime.start({ id: "x", command: ["true"], workDir: dir, readOnlyBinds: [], limits: TEST_LIMITS });
      expect(start).rejects.toThrow("apt-get install bubblewrap");
      await start.catch(() => {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bwrap host identity", () => {
  test("each live sandbox runs under its own host uid from the range, never root", async () => {
    const runtime = new BwrapRuntime({ uidBase: 195_000, uidCount: 10 });
    const dirs = new WorkDirs();
    const sleep = "import time; print('up', flush=True); time.sleep(30)";
    const a = await startPython(runtime, await dirs.make(), sleep);
    const b = await startPython(runtime, await dirs.make(), sleep);
    try {
      await Promise.all([waitForOutput(a.stdout, "up"), waitForOutput(b.stdout, "up")]);
      const uidsA = await pidsOwnedBy((uid) => uid === 195_000);
      const uidsB = await pidsOwnedBy((uid) => uid === 195_001);
      // bwrap monitor + pid-namespace init + python, for each sandbox.
      expect(uidsA.length).toBe(3);
      expect(uidsB.length).toBe(3);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
      await dirs.removeAll();
    }
    expect(await pidsOwnedBy((uid) => uid >= 195_000 && uid < 195_010)).toEqual([]);
  });
});

// A uid range of its own, so these tests never touch a real service's sandboxes.
runtimeContract("bwrap", () => new BwrapRuntime({ uidBase: 190_000, uidCount: 100 }));
