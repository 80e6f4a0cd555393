import { beforeAll, describe, expect, test } from "bun:test";
import Docker from "dockerode";
import { containerOptions } from "../../../sandbox/src/runtime/docker-container.ts";
import { DockerRuntime } from "../../../sandbox/src/runtime/docker.ts";
import { runtimeContract } from "./contract.ts";
import { runPython, TEST_LIMITS } from "./run-python.ts";
import { prepareRuntime, TEST_IMAGE } from "./runtimes.ts";

describe("docker set-up errors say what to do", () => {
  test("no daemon", async () => {
    const runtime = new DockerRuntime({ image: "x", docker: new Docker({ socketPath: "/nonexistent/docker.sock" }) });
    expect(runtime.check()).rejects.toThrow("start dockerd");
    expect(runtime.reapOrphans()).rejects.toThrow("start dockerd");
  });

  test("no image", async () => {
    const runtime = new DockerRuntime({ image: "abp-sandbox:does-not-exist", scope: `test-${crypto.randomUUID()}` });
    expect(runtime.check()).rejects.toThrow("bun run sandbox:image");
    expect(runtime.start({ id: "x", command: ["true"], limits: TEST_LIMITS })).rejects.toThrow("bun run sandbox:image");
  });
});

describe("docker container options", () => {
  test("lock the container down and carry the limits", () => {
    const options = containerOptions({ id: "rt_1", command: ["python3", "-c", "1"], limits: { ...TEST_LIMITS, memoryMb: 256, cpus: 0.5, pids: 64, workDirMb: 32 } }, "img", "scope-a");
    expect(options).toMatchObject({
      Image: "img",
      User: "65534:65534",
      NetworkDisabled: true,
      Labels: { "abp.sandbox.scope": "scope-a", "abp.sandbox.id": "rt_1" },
      HostConfig: {
        NetworkMode: "none",
        ReadonlyRootfs: true,
        Memory: 256 * 1024 * 1024,
        MemorySwap: 256 * 1024 * 1024,
        CpuPeriod: 10_000,
        CpuQuota: 5_000,
        PidsLimit: 64,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        ShmSize: 32 * 1024 * 1024,
      },
    });
    expect(options.HostConfig?.Tmpfs?.["/work"]).toContain("size=32m");
    expect(options.Cmd?.slice(-4)).toEqual(["--", "python3", "-c", "1"]);
  });
});

describe("docker CPU share (bwrap has no cgroup to enforce one)", () => {
  beforeAll(() => prepareRuntime("docker"), 300_000);
  test("a busy loop gets about SANDBOX_CPUS of a core", async () => {
    const runtime = new DockerRuntime({ image: TEST_IMAGE, scope: `test-${crypto.randomUUID()}` });
    const code = "import time\nwall = time.monotonic()\ncpu = time.process_time()\nwhile time.monotonic() - wall < 1.5: pass\nprint((time.process_time() - cpu) / (time.monotonic() - wall))";
    const run = await runPython(runtime, code, { cpus: 0.5 });
    const share = Number(run.stdout.trim());
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
  }, 20_000);
});

runtimeContract("docker", 0);
