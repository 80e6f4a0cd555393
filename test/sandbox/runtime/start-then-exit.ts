/**
 * Helper *process* for the "dies with its parent" test: starts a sandbox that
 * heartbeats while its stdin is open, waits for the first beat, then exits
 * without killing it. Usage: bun start-then-exit.ts <kind> <scope>
 */
import { scopedRuntime, type RuntimeKind } from "./runtimes.ts";
import { TEST_LIMITS, waitForOutput } from "./run-python.ts";

const [kind, scope] = process.argv.slice(2);
if (scope === undefined || (kind !== "bwrap" && kind !== "docker")) throw new Error("usage: start-then-exit.ts <bwrap|docker> <scope>");

// Beats in a thread; the main thread waits for stdin's end, as the runner does.
const heartbeat = "import sys, threading, time\ndef beat():\n    while True:\n        print('beat', flush=True); time.sleep(0.05)\nthreading.Thread(target=beat, daemon=True).start()\nsys.stdin.read()";
const proc = await scopedRuntime(kind satisfies RuntimeKind, scope).runtime.start({ id: "orphan-test", command: ["python3", "-c", heartbeat], limits: TEST_LIMITS });
await waitForOutput(proc.stdout, "beat");
console.log("started");
process.exit(0);
