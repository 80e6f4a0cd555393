/**
 * Helper *process* for the "dies with its parent" test: starts a sandbox that
 * writes a heartbeat into its work dir, waits for the first beat, then exits
 * without killing it. Usage: bun start-then-exit.ts <kind> <workDir>
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BwrapRuntime } from "../../../sandbox/src/runtime/bwrap.ts";
import type { SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";
import { TEST_LIMITS } from "./run-python.ts";

const [kind, workDir] = process.argv.slice(2);
if (workDir === undefined) throw new Error("usage: start-then-exit.ts <kind> <workDir>");

function runtimeOfKind(name: string | undefined): SandboxRuntime {
  if (name === "bwrap") return new BwrapRuntime();
  throw new Error(`unknown runtime kind ${name}`);
}

const heartbeat = "import time\nn=0\nwhile True:\n    n+=1\n    open('beat','w').write(str(n))\n    time.sleep(0.05)\n";
await runtimeOfKind(kind).start({ id: "orphan-test", command: ["python3", "-c", heartbeat], workDir, readOnlyBinds: [], limits: TEST_LIMITS });
while (!existsSync(join(workDir, "beat"))) await Bun.sleep(20);
console.log("started");
process.exit(0);
