import { format, type TargetResult } from "./report.ts";
import type { RuntimeFigures } from "./sandbox.ts";
import type { SandboxRuntimeName } from "./sandbox-runtimes.ts";
import { limits } from "./targets.ts";

/**
 * The sandbox service's targets, held against each runtime: a session from the warm pool and one
 * tool call resumed have the same bound on both; print(1) has one per runtime, as the issue sets them.
 */

const executionP50Ms: Record<SandboxRuntimeName, number> = {
  bwrap: limits.sandboxExecutionP50Ms,
  docker: 100,
};

/** Every figure needs a clean run (no failed request, nothing left behind). */
function runtimeTargets(s: RuntimeFigures): TargetResult[] {
  const clean = s.failures === 0 && s.leftover === 0;
  const note = clean ? "" : " (failures or leftovers)";
  const name = s.about.name;
  const executionLimit = executionP50Ms[name];
  return [
    // Held against create + first print(1): POST alone returns before a cold runner is even up.
    {
      target: `sandbox (${name}): warm session start p50 ≤ ${limits.sandboxWarmStartP50Ms} ms (POST + first print(1))`,
      measured: `${format.ms(s.warmReady.p50)}${note}`,
      pass: clean && s.warmReady.p50 <= limits.sandboxWarmStartP50Ms,
    },
    { target: `sandbox (${name}): print(1) execution p50 ≤ ${executionLimit} ms`, measured: `${format.ms(s.execution.p50)}${note}`, pass: clean && s.execution.p50 <= executionLimit },
    {
      target: `sandbox (${name}): tool round trip p50 ≤ ${limits.sandboxToolRoundTripP50Ms} ms`,
      measured: `${format.ms(s.toolResume.p50)}${note}`,
      pass: clean && s.toolResume.p50 <= limits.sandboxToolRoundTripP50Ms,
    },
  ];
}

export function sandboxTargets(all: readonly RuntimeFigures[]): TargetResult[] {
  return all.flatMap(runtimeTargets);
}
