import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../lib/environment.ts";
import { loadSandboxConfig } from "../../../sandbox/src/config.ts";
import { makeRuntime } from "../../../sandbox/src/service.ts";

describe("sandbox config", () => {
  test("defaults", () => {
    const config = loadSandboxConfig({ SANDBOX_TOKEN: "t" });
    expect(config).toMatchObject({
      SANDBOX_PORT: 8090,
      SANDBOX_HOST: "127.0.0.1",
      SANDBOX_RUNTIME: "bwrap",
      SANDBOX_POOL_SIZE: 2,
      SANDBOX_MEMORY_MB: 256,
      SANDBOX_CPUS: 0.5,
      SANDBOX_PIDS: 64,
      SANDBOX_EXEC_TIMEOUT_S: 60,
      SANDBOX_TOOL_RESULT_TIMEOUT_S: 600,
      SANDBOX_IDLE_TIMEOUT_S: 270,
      SANDBOX_MAX_SESSIONS: 50,
      SANDBOX_MAX_SESSIONS_PER_OWNER: 10,
      SANDBOX_MAX_OUTPUT_BYTES: 1024 * 1024,
      SANDBOX_WORK_DIR_MB: 64,
      SANDBOX_MAX_TMPFS_MB: 4096,
      SANDBOX_IMAGE: "abp-sandbox:latest",
      SANDBOX_SCOPE: "sandbox-service",
    });
  });

  test("errors name the bad variable", () => {
    expect(() => loadSandboxConfig({})).toThrow(ConfigError);
    expect(() => loadSandboxConfig({})).toThrow("SANDBOX_TOKEN");
    expect(() => loadSandboxConfig({ SANDBOX_TOKEN: "t", SANDBOX_POOL_SIZE: "many" })).toThrow("SANDBOX_POOL_SIZE");
    expect(() => loadSandboxConfig({ SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "podman" })).toThrow("SANDBOX_RUNTIME");
    expect(() => loadSandboxConfig({ SANDBOX_TOKEN: "t", SANDBOX_SCOPE: "a b" })).toThrow("SANDBOX_SCOPE");
  });

  test("SANDBOX_RUNTIME picks the runtime", () => {
    expect(makeRuntime(loadSandboxConfig({ SANDBOX_TOKEN: "t", SANDBOX_RUNTIME: "docker" })).kind).toBe("docker");
    expect(makeRuntime(loadSandboxConfig({ SANDBOX_TOKEN: "t" })).kind).toBe("bwrap");
  });
});
