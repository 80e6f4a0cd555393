import { type LoadPlan, runClosedLoop } from "./load.ts";
import { readCpuSeconds, type Service, startProxy } from "./processes.ts";
import { format, type TargetResult, table } from "./report.ts";
import { proxyRequest, timeCompletion, timeStream } from "./workload.ts";

/**
 * What metrics cost (the "≤ 5% CPU per request"): two proxies in open mode over the same
 * emulator, one with METRICS=off and one as configured by default (metrics on, tracing's exporter
 * off), sent the same mix of non-streaming and streamed requests at the same time, each its own
 * closed loop, so whatever else the machine does (it is shared) weighs on both alike; measured one
 * after the other, rounds differed by ±30% on a busy 2-core machine. The figure is the ratio of their
 * CPU per request (read from /proc) over every round; the metrics proxy's /metrics is scraped every
 * round, as Prometheus would.
 */

/** The baseline's only difference from the default configuration. */
const baselineEnv = { METRICS: "off" };
const rounds = 16;
/** Per proxy: the two proxies together have phase 1's and phase 2's concurrency. */
const nonStreaming = { concurrency: 32, share: 0.75 };
const streamed = { concurrency: 16, share: 0.25 };
export const maxMetricsCpuRatio = 1.05;

type LaneName = "off" | "on";

interface Tally {
  requests: number;
  failures: number;
  firstFailure: string | undefined;
  cpuSeconds: number;
}

export interface MetricsCostFigures {
  lanes: Record<LaneName, Tally>;
  /** Each round's CPU per request with metrics over without (the spread, for the report). */
  roundRatios: number[];
}

export async function measureMetricsCost(emulatorUrl: string, requests: number, log: (line: string) => void): Promise<MetricsCostFigures> {
  const lanes = { off: await startProxy({ emulatorUrl, env: baselineEnv, name: "proxy (METRICS=off)" }), on: await startProxy({ emulatorUrl, name: "proxy (metrics on)" }) };
  try {
    const tallies: Record<LaneName, Tally> = { off: emptyTally(), on: emptyTally() };
    const roundRatios: number[] = [];
    // Twice the phase-1 count per lane: the ratio is a few percent, and the machine is shared.
    const perChunk = Math.max(250, Math.round((2 * requests) / rounds));
    // Warm-up, unmeasured: JIT and connection pools settle on both.
    await Promise.all((["off", "on"] as const).map((name) => chunk(lanes[name], name, Math.min(500, perChunk), emptyTally())));
    for (let round = 0; round < rounds; round++) {
      const thisRound: Record<LaneName, Tally> = { off: emptyTally(), on: emptyTally() };
      await Promise.all((["off", "on"] as const).map((name) => chunk(lanes[name], name, perChunk, thisRound[name])));
      for (const name of ["off", "on"] as const) add(tallies[name], thisRound[name]);
      roundRatios.push(cpuPerRequestUs(thisRound.on) / cpuPerRequestUs(thisRound.off));
      log(`  round ${round + 1} of ${rounds}: ${format.ratio(roundRatios[round] ?? 0)}`);
    }
    return { lanes: tallies, roundRatios };
  } finally {
    await lanes.off.stop();
    await lanes.on.stop();
  }
}

function emptyTally(): Tally {
  return { requests: 0, failures: 0, firstFailure: undefined, cpuSeconds: 0 };
}

function add(total: Tally, part: Tally): void {
  total.requests += part.requests;
  total.failures += part.failures;
  total.firstFailure ??= part.firstFailure;
  total.cpuSeconds += part.cpuSeconds;
}

/** One chunk of the mix on one proxy, its CPU read around it (and the scrape, on the metrics lane). */
async function chunk(proxy: Service, name: LaneName, requests: number, tally: Tally): Promise<void> {
  const plan = (share: number, concurrency: number): LoadPlan => ({ concurrency, maxRequests: Math.round(requests * share), maxDurationMs: 30_000 });
  const before = await readCpuSeconds(proxy.pid);
  const outcomes = [
    await runClosedLoop(plan(nonStreaming.share, nonStreaming.concurrency), () => timeCompletion(proxyRequest(proxy.url, "invoke", false))),
    await runClosedLoop(plan(streamed.share, streamed.concurrency), () => timeStream(proxyRequest(proxy.url, "invoke", true))),
  ];
  if (name === "on") await (await fetch(`${proxy.url}/metrics`)).text();
  tally.cpuSeconds += (await readCpuSeconds(proxy.pid)) - before;
  for (const outcome of outcomes) {
    tally.requests += outcome.samples.length;
    tally.failures += outcome.failures;
    tally.firstFailure ??= outcome.firstFailure;
  }
}

const cpuPerRequestUs = (tally: Tally) => (tally.cpuSeconds * 1e6) / Math.max(1, tally.requests);

export function metricsCostSection(f: MetricsCostFigures): string {
  const row = (label: string, tally: Tally) => [label, String(tally.requests), String(tally.failures), `${Math.round(cpuPerRequestUs(tally))} µs`];
  const failures = (["off", "on"] as const).filter((name) => f.lanes[name].failures > 0).map((name) => `\n  ! ${name}: first failure: ${f.lanes[name].firstFailure}`);
  return (
    [
      table(["proxy", "requests", "failed", "CPU / request"], [row("METRICS=off", f.lanes.off), row("default (metrics on, tracing exporter off)", f.lanes.on)]),
      `  ratio: ${format.ratio(cpuPerRequestUs(f.lanes.on) / cpuPerRequestUs(f.lanes.off))}; by round ${f.roundRatios.map((r) => r.toFixed(2)).join(", ")}`,
      `  (both proxies loaded at once, each ${Math.round(nonStreaming.share * 100)}% non-streaming @${nonStreaming.concurrency}, ${Math.round(streamed.share * 100)}% streamed @${streamed.concurrency}, mirrored rounds)`,
    ].join("\n") + failures.join("")
  );
}

export function metricsCostTargets(f: MetricsCostFigures | undefined): TargetResult[] {
  if (!f) return [];
  const ratio = cpuPerRequestUs(f.lanes.on) / cpuPerRequestUs(f.lanes.off);
  const clean = f.lanes.off.failures === 0 && f.lanes.on.failures === 0;
  return [
    {
      target: `metrics (tracing exporter off): CPU per request ≤ ${format.ratio(maxMetricsCpuRatio)} of METRICS=off`,
      measured: `${format.ratio(ratio)}${clean ? "" : " (failures)"}`,
      pass: clean && ratio <= maxMetricsCpuRatio,
    },
  ];
}
