/**
 * A sandbox counts as started only once its runner has announced itself (its first frame, `ready`):
 * a warm one in the pool is ready for a session's first execution, and one whose runner cannot get
 * there never reaches a session. Here the runner is replaced, in a real bwrap sandbox, by programs
 * that fail before or instead of that announcement.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { loadSandboxConfig } from "../../../sandbox/src/config.ts";
import { createService, type Service } from "../../../sandbox/src/service.ts";
import type { SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";
import { scopedRuntime } from "../runtime/runtimes.ts";
import { TOKEN } from "./harness.ts";

const UID_BASE = "178700";

describe("a runner that does not announce itself", () => {
  let service: Service | undefined;
  const { runtime: bwrap, live } = scopedRuntime("bwrap", UID_BASE);
  afterEach(async () => {
    await service?.close();
    await bwrap.reapOrphans();
  });

  /** A service whose sandboxes run `program` (Python) in the runner's place; no warm pool. */
  async function serviceRunning(program: string): Promise<Service> {
    const runtime = Object.assign(Object.create(bwrap) as SandboxRuntime, {
      // The runner's command only: the runtime's own start-up probe runs as it is.
      start: (spec: Parameters<SandboxRuntime["start"]>[0]) =>
        bwrap.start(spec.command.some((arg) => arg.endsWith("/runner.py")) ? { ...spec, command: ["python3", "-I", "-c", program] } : spec),
    });
    service = await createService(loadSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_POOL_SIZE: "0" }), { runtime });
    return service;
  }

  test("one that exits first: no session, the error carries its stderr, and its sandbox is gone", async () => {
    const { sessions } = await serviceRunning("import sys; sys.exit('the interpreter broke at start-up')");
    expect(sessions.create("alice")).rejects.toThrow(/no sandbox could be started: the runner did not start: [^]*the interpreter broke at start-up/);
    await Bun.sleep(200);
    expect(await live()).toBe(0);
  });

  test("one whose first frame is anything else: refused, no session", async () => {
    const program = [
      "import sys",
      "sys.path.insert(0, '/runner')",
      "from framing import read_frame, write_frame",
      "write_frame(1, {'type': 'completed', 'execution_id': 'x', 'stdout': '', 'stderr': '', 'return_code': 0})",
      "read_frame(0)",
    ].join("\n");
    const { sessions } = await serviceRunning(program);
    expect(sessions.create("alice")).rejects.toThrow("the runner's first frame was not its ready announcement");
    await Bun.sleep(200);
    expect(await live()).toBe(0);
  });
});
