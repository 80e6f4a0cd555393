import { describe, expect, test } from "bun:test";
import Docker from "dockerode";
import { containerOptions } from "../../../sandbox/src/runtime/docker-container.ts";
import { DockerRuntime } from "../../../sandbox/src/runtime/docker.ts";
import { runtimeContract } from "./contract.ts";
import { TEST_LIMITS } from "./run-python.ts";

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
        NanoCpus: 500_000_000,
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

runtimeContract("docker", 0);
