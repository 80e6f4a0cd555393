import type { GatewayComparison } from "./gateway.ts";
import type { CompletionComparison, HeldStreamsComparison, StreamComparison } from "./phases.ts";
import { format, type TargetResult, usageComplete } from "./report.ts";

/**
 * The issues' targets for this 2-core machine: at 64 concurrent non-streaming requests the proxy adds
 * at most 1 ms at p50 and 3 ms at p99 and keeps at least 40% of the direct throughput on both paths;
 * one request at a time it adds at most 0.5 ms at p50 and 2 ms at p99; streaming, at most 1 ms to the
 * first token at p50; with an issued key and usage written it spends at most twice the CPU per request
 * of a bare SigV4 forwarder measured in the same run; 1,000 concurrent streams fit in 250 MB of proxy RSS.
 */

export const limits = {
  addedP50Ms: 1,
  addedP99Ms: 3,
  minThroughputRatio: 0.4,
  serialAddedP50Ms: 0.5,
  serialAddedP99Ms: 2,
  streamAddedFirstTokenP50Ms: 1,
  /** Proxy CPU per request (issued key, SQLite, usage written) over the bare forwarder's, both at 64 concurrent. */
  maxCpuOverFloor: 2,
  maxStreamsRssBytes: 250 * 1024 * 1024,
  /** What an issued key (authentication, rate limits, usage and spend) may add over open mode, at p50. */
  gatewayAddedP50Ms: 0.5,
  /** The sandbox service (bwrap): a session from the warm pool, print(1), one tool call resumed. */
  sandboxWarmStartP50Ms: 20,
  sandboxExecutionP50Ms: 50,
  sandboxToolRoundTripP50Ms: 20,
  /** PTC on bwrap: the proxy's own time around a resume (tool_result in → answer out, the emulator's and the sandbox's time taken off). */
  ptcResumeAddedP50Ms: 15,
  ptcResumeAddedP99Ms: 40,
  /** PTC: a code-only request's round trip above the sandbox's own print(1). */
  ptcCodeOnlyAddedP50Ms: 25,
} as const;

const routeLabel = (route: string) => (route === "invoke" ? "native" : "converse");

/** What the proxy added, with the bare forwarder's share beside it: what relaying alone adds on this machine. */
const addedBeside = (proxy: number, forwarder: number) => `${format.signedMs(proxy)} (forwarder ${format.signedMs(forwarder)})`;

function completionTargets(c: CompletionComparison): TargetResult[] {
  const route = routeLabel(c.route);
  const addedP50 = c.proxy.latency.p50 - c.direct.latency.p50;
  const addedP99 = c.proxy.latency.p99 - c.direct.latency.p99;
  const throughputRatio = c.proxy.perSecond / c.direct.perSecond;
  const clean = c.direct.failures === 0 && c.proxy.failures === 0;
  const [p50Limit, p99Limit] = c.concurrency === 1 ? [limits.serialAddedP50Ms, limits.serialAddedP99Ms] : [limits.addedP50Ms, limits.addedP99Ms];
  const latency = [
    { target: `${route}: added latency p50 ≤ ${p50Limit} ms @${c.concurrency}`, measured: addedBeside(addedP50, c.floor.latency.p50 - c.direct.latency.p50), pass: clean && addedP50 <= p50Limit },
    { target: `${route}: added latency p99 ≤ ${p99Limit} ms @${c.concurrency}`, measured: addedBeside(addedP99, c.floor.latency.p99 - c.direct.latency.p99), pass: clean && addedP99 <= p99Limit },
  ];
  if (c.concurrency === 1) return latency;
  return [
    ...latency,
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

function streamTargets(c: StreamComparison): TargetResult {
  const added = c.proxy.firstToken.p50 - c.direct.firstToken.p50;
  const clean = c.direct.failures === 0 && c.proxy.failures === 0;
  return {
    target: `${routeLabel(c.route)} streaming: added time to first token p50 ≤ ${limits.streamAddedFirstTokenP50Ms} ms @${c.concurrency}`,
    measured: addedBeside(added, c.floor.firstToken.p50 - c.direct.firstToken.p50),
    pass: clean && added <= limits.streamAddedFirstTokenP50Ms,
  };
}

/**
 * The issued-key lane (SQLite, usage written) against the bare forwarder on the same request, both at
 * 64: the forwarder loaded beside that lane in section 4, else section 1's (another moment of a shared machine).
 */
function floorTargets(completions: readonly CompletionComparison[], gateway: readonly GatewayComparison[]): TargetResult[] {
  const comparison = gateway.find((g) => g.concurrency > 1);
  const floor = comparison?.floor ?? completions.find((c) => c.route === "invoke" && c.concurrency > 1)?.floor;
  const keyed = comparison?.runs.sqlite;
  if (!floor || !keyed) return [];
  const ratio = keyed.cpu.proxyUs / floor.cpu.proxyUs;
  return [
    {
      target: `proxy CPU per request (issued key, usage written) ≤ ${limits.maxCpuOverFloor}× the bare SigV4 forwarder's @${comparison.concurrency}`,
      measured: `${Math.round(keyed.cpu.proxyUs)} µs vs ${Math.round(floor.cpu.proxyUs)} µs (${format.ratio(ratio)})`,
      pass: floor.failures === 0 && keyed.failures === 0 && ratio <= limits.maxCpuOverFloor,
    },
  ];
}

/** Targets of the phases that ran (a --phases subset checks only its own). */
export function evaluateTargets(
  completions: readonly CompletionComparison[],
  held: HeldStreamsComparison | undefined,
  gateway: readonly GatewayComparison[] = [],
  streams: readonly StreamComparison[] = [],
): TargetResult[] {
  return [
    ...completions.flatMap(completionTargets),
    ...streams.map(streamTargets),
    ...(held ? heldStreamsTargets(held) : []),
    ...gateway.flatMap(gatewayTargets),
    ...floorTargets(completions, gateway),
  ];
}
