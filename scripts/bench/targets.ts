import type { GatewayComparison } from "./gateway.ts";
import type { CompletionComparison, HeldStreamsComparison } from "./phases.ts";
import { format, type TargetResult, usageComplete } from "./report.ts";

/**
 * The targets for this 2-core machine: at 64 concurrent non-streaming requests the proxy adds
 * at most 1 ms at p50 and 3 ms at p99 and keeps at least half the direct throughput; 1,000 concurrent
 * streams fit in 250 MB of proxy RSS.
 */

export const limits = {
  addedP50Ms: 1,
  addedP99Ms: 3,
  minThroughputRatio: 0.5,
  maxStreamsRssBytes: 250 * 1024 * 1024,
  /** What an issued key (authentication, rate limits, usage and spend) may add over open mode, at p50. */
  gatewayAddedP50Ms: 0.5,
  /** The sandbox service (bwrap): a session from the warm pool, print(1), one tool call resumed. */
  sandboxWarmStartP50Ms: 20,
  sandboxExecutionP50Ms: 50,
  sandboxToolRoundTripP50Ms: 20,
} as const;

function completionTargets(c: CompletionComparison): TargetResult[] {
  const route = c.route === "invoke" ? "native" : "converse";
  const addedP50 = c.proxy.latency.p50 - c.direct.latency.p50;
  const addedP99 = c.proxy.latency.p99 - c.direct.latency.p99;
  const throughputRatio = c.proxy.perSecond / c.direct.perSecond;
  const clean = c.direct.failures === 0 && c.proxy.failures === 0;
  return [
    { target: `${route}: added latency p50 ≤ ${limits.addedP50Ms} ms @${c.concurrency}`, measured: format.signedMs(addedP50), pass: clean && addedP50 <= limits.addedP50Ms },
    { target: `${route}: added latency p99 ≤ ${limits.addedP99Ms} ms @${c.concurrency}`, measured: format.signedMs(addedP99), pass: clean && addedP99 <= limits.addedP99Ms },
    {
      target: `${route}: throughput ≥ ${limits.minThroughputRatio * 100}% of direct @${c.concurrency}`,
      measured: `${(throughputRatio * 100).toFixed(1)}%`,
      pass: clean && throughputRatio >= limits.minThroughputRatio,
    },
  ];
}

function heldStreamsTargets(c: HeldStreamsComparison): TargetResult[] {
  const { proxy } = c;
  const allOpenAndDone = proxy.maxOpen === proxy.streams && proxy.stopped === proxy.streams && proxy.failures === 0;
  return [
    {
      target: `${proxy.streams} streams all open at once and all complete`,
      measured: `${proxy.maxOpen} open, ${proxy.stopped} message_stop`,
      pass: allOpenAndDone,
    },
    {
      target: `${proxy.streams} concurrent streams: proxy RSS < ${format.mb(limits.maxStreamsRssBytes)}`,
      measured: `${format.mb(proxy.memory.peak)} (${format.ratio(proxy.memory.peak / c.proxyIdleRss)} idle)`,
      pass: allOpenAndDone && proxy.memory.peak < limits.maxStreamsRssBytes,
    },
  ];
}

/** Passes only when both runs were clean and every request of both has its usage record. */
function gatewayTargets(c: GatewayComparison): TargetResult[] {
  const baseline = c.runs.open;
  const lanes = [
    ["sqlite", "SQLite + memory"],
    ["dynamodb", "DynamoDB Local + Redis"],
  ] as const;
  return lanes.map(([lane, name]) => {
    const run = c.runs[lane];
    const addedP50 = run.latency.p50 - baseline.latency.p50;
    const clean = baseline.failures === 0 && run.failures === 0 && usageComplete(baseline) && usageComplete(run);
    return {
      target: `gateway (${name}): added p50 ≤ ${limits.gatewayAddedP50Ms} ms @${c.concurrency}`,
      measured: `${format.signedMs(addedP50)}${clean ? "" : " (failures or usage mismatch)"}`,
      pass: clean && addedP50 <= limits.gatewayAddedP50Ms,
    };
  });
}

/** Targets of the phases that ran (a --phases subset checks only its own). */
export function evaluateTargets(
  completions: readonly CompletionComparison[],
  held: HeldStreamsComparison | undefined,
  gateway: readonly GatewayComparison[] = [],
): TargetResult[] {
  return [
    ...completions.flatMap(completionTargets),
    ...(held ? heldStreamsTargets(held) : []),
    ...gateway.flatMap(gatewayTargets),
  ];
}
