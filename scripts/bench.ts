/**
 * `bun run bench`: the proxy's overhead, measured against the emulator it fronts, in one run.
 *
 * The emulator and the proxy run as separate processes on free loopback ports; this process drives
 * the load with keep-alive `fetch`. Every workload is sent twice, to the emulator directly (the
 * baseline) and through the proxy, so each figure is printed as a ratio to that baseline. The
 * emulator verifies SigV4, and the proxies sign with the bench's credentials, as with IAM in production.
 *   1. non-streaming, 64 concurrent and 1 at a time: throughput, p50/p99 latency, the latency the proxy
 *      adds; also through a bare SigV4 forwarder (`bench/forwarder.ts`), the floor of the proxy's CPU;
 *   2. streaming, 32 concurrent: time to first token and to the end of the stream, and CPU per stream;
 *      also through the bare forwarder, which relays the event stream as it comes: what relaying adds here;
 *   3. 1,000 streams held open at once: the proxy's peak RSS against its idle RSS;
 *   4. the gateway: the non-streaming workload at 64 and at 1 concurrent through a proxy in open mode
 *      (the baseline), through one with an issued key on SQLite + in-memory limits, and through one
 *      on DynamoDB Local + Redis; what the key adds, and a usage record for every request; the bare
 *      forwarder again, in chunks beside the issued key's, the floor its CPU is held against;
 *   5. the sandbox service as its own process, on each runtime (bwrap, then docker): session start
 *      from the warm pool vs cold, print(1) against spawning python3 directly (and, for docker,
 *      against a `docker run --rm` of the same image), a tool round trip, memory per idle session;
 *   6. Programmatic Tool Calling through a proxy over a bwrap sandbox service: a code-only request and a
 *      resume at a tool call the code made, against the emulator's and the sandbox's own times;
 *   7. what metrics and tracing cost: CPU per request of a proxy as configured by default (metrics on,
 *      tracing off) and of one exporting spans to a local OTLP receiver, against one with METRICS=off;
 *   8. the portal's overview with 100,000 usage records: on DynamoDB Local against SQLite (the baseline),
 *      the same records in both (`bench/overview.ts`; loading DynamoDB Local takes a minute or more).
 * Phases 1-3 run the proxy in open mode (no key) on a SQLite file of its own; phase 4 starts its own
 * proxies, Redis and DynamoDB Local (phase 8 a DynamoDB Local of its own); phase 5 builds the sandbox image if
 * needed, and removes every container it made; phase 6 starts its own sandbox service and proxy. Everything
 * listens on loopback and is stopped at the end.
 * The closing table checks the issue's targets. Exit code 0 even on a MISS, unless --strict.
 *
 * Options: --strict, --requests N (per non-streaming run), --streams N (phase 3),
 *          --phases 1,2,3,4,5,6,7,8 (a subset, for diagnosis), --cpu-prof DIR (profile the proxies into DIR;
 *          phase 4's into DIR/gateway-open, -sqlite, -dynamodb),
 *          --proxy-preload FILE (a module Bun preloads into the proxies, to try a change to src/ as an A/B).
 */

import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { type GatewayComparison, measureGateway } from "./bench/gateway.ts";
import type { LoadPlan, WarmUp } from "./bench/load.ts";
import {
  type CompletionComparison,
  compareCompletions,
  compareHeldStreams,
  compareStreams,
  type HeldStreamsComparison,
  pacedTurn,
  type Pids,
  type StreamComparison,
} from "./bench/phases.ts";
import { readMemory } from "./bench/proc.ts";
import { killAll, type Service, startEmulator, startForwarder, startProxy } from "./bench/processes.ts";
import { completionSection, format, gatewaySection, heading, heldStreamsSection, streamSection, targetsSection } from "./bench/report.ts";
import { measureMetricsCost, type MetricsCostFigures, metricsCostSection, metricsCostTargets } from "./bench/metrics-cost.ts";
import { measureOverview, type OverviewFigures, overviewSection, overviewTargets } from "./bench/overview.ts";
import { measurePtc, type PtcFigures } from "./bench/ptc.ts";
import { ptcSection, ptcTargets } from "./bench/ptc-report.ts";
import { measureSandbox, type RuntimeFigures } from "./bench/sandbox.ts";
import { sandboxComparisonSection, sandboxRuntimeSection } from "./bench/sandbox-report.ts";
import { sandboxTargets } from "./bench/sandbox-targets.ts";
import { evaluateTargets } from "./bench/targets.ts";
import type { Endpoints, Route } from "./bench/workload.ts";

const routes: readonly Route[] = ["invoke", "converse"];

/** Bun's fetch allows 256 requests in flight per process unless this is raised before it starts. */
const fetchLimitVariable = "BUN_CONFIG_MAX_HTTP_REQUESTS";

interface Options {
  strict: boolean;
  requests: number;
  streams: number;
  phases: ReadonlySet<number>;
  cpuProfileDir: string | undefined;
  proxyPreload: string | undefined;
}

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      strict: { type: "boolean", default: false },
      requests: { type: "string", default: "4000" },
      streams: { type: "string", default: "1000" },
      phases: { type: "string", default: "1,2,3,4,5,6,7,8" },
      "cpu-prof": { type: "string" },
      "proxy-preload": { type: "string" },
    },
  });
  return {
    strict: values.strict,
    requests: positiveInteger("--requests", values.requests),
    streams: positiveInteger("--streams", values.streams),
    phases: new Set(values.phases.split(",").map((p) => positiveInteger("--phases", p))),
    cpuProfileDir: values["cpu-prof"],
    proxyPreload: values["proxy-preload"],
  };
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive integer, not ${text}`);
  return value;
}

/** Re-runs this script with the fetch limit raised (it cannot be raised from inside); returns its exit code. */
async function relaunchWithFetchLimit(limit: number): Promise<number> {
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, [fetchLimitVariable]: String(limit) },
    stdio: ["inherit", "inherit", "inherit"],
  });
  // Ctrl-C reaches the child through the process group; a signal sent to this pid alone is passed on.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return child.exited;
}

/** Whatever happens, no emulator or proxy outlives the bench. */
function stopChildrenOnExit(): void {
  process.on("exit", killAll);
  let stopping = false;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    // `on`, not `once`: Ctrl-C can arrive twice (from the terminal and forwarded by the parent).
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the emulator and the proxy`);
      killAll();
      process.exit(code);
    });
  }
}

const nonStreamingConcurrency = 64;
const streamingConcurrency = 32;

function completionPlans(requests: number, concurrency: number): { warmUp: WarmUp; plan: LoadPlan } {
  return {
    // One at a time follows the concurrent runs, which have warmed every process already.
    warmUp: concurrency > 1 ? { concurrency, untilSettled: true } : { concurrency, maxRequests: Math.min(1000, requests), maxDurationMs: 3_000 },
    plan: { concurrency, maxRequests: requests, maxDurationMs: 15_000 },
  };
}

async function phaseOne(endpoints: Endpoints, pids: Pids, requests: number): Promise<CompletionComparison[]> {
  console.log(heading("1. Non-streaming: direct to the emulator vs through the proxy"));
  const results: CompletionComparison[] = [];
  for (const route of routes) {
    const { warmUp, plan } = completionPlans(requests, nonStreamingConcurrency);
    const comparison = await compareCompletions(endpoints, pids, route, warmUp, plan);
    console.log(completionSection(comparison));
    results.push(comparison);
  }
  // One request at a time: the proxy's own cost per request, without queueing behind other requests.
  const serial = completionPlans(Math.min(1000, requests), 1);
  const serialComparison = await compareCompletions(endpoints, pids, "invoke", serial.warmUp, serial.plan);
  console.log(completionSection(serialComparison));
  return [...results, serialComparison];
}

async function phaseTwo(endpoints: Endpoints, pids: Pids): Promise<StreamComparison[]> {
  console.log(heading("2. Streaming: time to first token"));
  const turn = pacedTurn(10, 20, 5);
  // Phase 1 has compiled the request path already (see `jitSettling`); this warms the stream's own.
  const warmUp: LoadPlan = { concurrency: streamingConcurrency, maxRequests: 1000, maxDurationMs: 5_000 };
  const plan: LoadPlan = { concurrency: streamingConcurrency, maxRequests: 2000, maxDurationMs: 10_000 };
  const results: StreamComparison[] = [];
  for (const route of routes) {
    const comparison = await compareStreams(endpoints, pids, route, turn, warmUp, plan);
    console.log(streamSection(comparison));
    results.push(comparison);
  }
  return results;
}

async function phaseThree(endpoints: Endpoints, pids: Pids, proxyIdleRss: number, streams: number): Promise<HeldStreamsComparison> {
  console.log(heading(`3. ${streams.toLocaleString("en-US")} concurrent streams: proxy memory`));
  // 15 deltas 300 ms apart: each stream lasts ~4.5 s, far longer than it takes to open them all.
  const turn = pacedTurn(15, 20, 300);
  const comparison = await compareHeldStreams(endpoints, pids, proxyIdleRss, turn, streams);
  console.log(heldStreamsSection(comparison));
  return comparison;
}

async function phaseFour(emulator: Service, options: Options): Promise<GatewayComparison[]> {
  console.log(heading("4. Gateway: open mode vs an issued key (SQLite + memory, DynamoDB Local + Redis)"));
  return measureGateway({
    emulator: { url: emulator.url, pid: emulator.pid },
    requests: options.requests,
    cpuProfileDir: options.cpuProfileDir,
    preload: options.proxyPreload,
    onComparison: (comparison) => console.log(gatewaySection(comparison)),
    log: (line) => console.log(line),
  });
}

async function phaseFive(): Promise<RuntimeFigures[]> {
  console.log(heading("5. Sandbox service (bwrap, docker): session start, execution, tool round trip, memory"));
  // Each runtime's figures print as soon as they are in: a failure on the second leaves the first's on screen.
  const results = await measureSandbox(
    (line) => console.log(line),
    (figures) => console.log(sandboxRuntimeSection(figures)),
  );
  console.log(sandboxComparisonSection(results));
  return results;
}

async function phaseSix(emulator: Service): Promise<PtcFigures> {
  console.log(heading("6. Programmatic Tool Calling (bwrap): a code-only request, a resume at a tool call"));
  const figures = await measurePtc(emulator.url, (line) => console.log(line));
  console.log(ptcSection(figures));
  return figures;
}

async function phaseSeven(emulator: Service, requests: number): Promise<MetricsCostFigures> {
  console.log(heading("7. Metrics and tracing: CPU per request, default configuration and tracing on vs METRICS=off"));
  const figures = await measureMetricsCost(emulator.url, requests, (line) => console.log(line));
  console.log(metricsCostSection(figures));
  return figures;
}

async function phaseEight(): Promise<OverviewFigures> {
  console.log(heading("8. The portal's overview with 100,000 usage records: DynamoDB Local vs SQLite"));
  const figures = await measureOverview((line) => console.log(line));
  console.log(overviewSection(figures));
  return figures;
}

async function idleRss(pid: number): Promise<number> {
  await Bun.sleep(500);
  return (await readMemory(pid)).rss;
}

async function main(options: Options): Promise<number> {
  const began = performance.now();
  stopChildrenOnExit();
  const emulator = await startEmulator();
  // Phases 1-3 share one proxy; phase 4 starts its own.
  const needsProxy = [1, 2, 3].some((phase) => options.phases.has(phase));
  let proxy: Service | undefined;
  let forwarder: Service | undefined;
  try {
    forwarder = [1, 2].some((phase) => options.phases.has(phase)) ? await startForwarder(emulator.url) : undefined;
    proxy = needsProxy
      ? await startProxy({
          emulatorUrl: emulator.url,
          ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
          ...(options.proxyPreload ? { preload: options.proxyPreload } : {}),
        })
      : undefined;
    const endpoints: Endpoints = { emulator: emulator.url, proxy: proxy?.url ?? "", forwarder: forwarder?.url ?? "" };
    const pids: Pids = { emulator: emulator.pid, proxy: proxy?.pid ?? 0, forwarder: forwarder?.pid ?? 0 };
    // Start-up garbage settles before the idle figure every memory ratio is against is taken.
    const proxyIdleRss = proxy ? await idleRss(proxy.pid) : 0;
    const proxyInfo = proxy ? `, proxy ${proxy.url} (pid ${proxy.pid}), proxy idle RSS ${format.mb(proxyIdleRss)}` : "";
    console.log(`bench: Bun ${Bun.version}, ${cpus().length} cores; emulator ${emulator.url} (pid ${emulator.pid})${proxyInfo}`);

    const completions = options.phases.has(1) ? await phaseOne(endpoints, pids, options.requests) : [];
    const streams = options.phases.has(2) ? await phaseTwo(endpoints, pids) : [];
    const held = options.phases.has(3) ? await phaseThree(endpoints, pids, proxyIdleRss, options.streams) : undefined;
    const gateway = options.phases.has(4) ? await phaseFour(emulator, options) : [];

    const sandbox = options.phases.has(5) ? await phaseFive() : [];
    const ptc = options.phases.has(6) ? await phaseSix(emulator) : undefined;
    const metricsCost = options.phases.has(7) ? await phaseSeven(emulator, options.requests) : undefined;
    const overview = options.phases.has(8) ? await phaseEight() : undefined;

    const results = [...evaluateTargets(completions, held, gateway, streams), ...sandboxTargets(sandbox), ...ptcTargets(ptc), ...metricsCostTargets(metricsCost), ...overviewTargets(overview)];
    console.log(heading("Targets"));
    console.log(targetsSection(results));
    const missed = results.filter((r) => !r.pass).length;
    console.log(`\n${results.length - missed} of ${results.length} targets met; bench took ${((performance.now() - began) / 1000).toFixed(1)} s`);
    return options.strict && missed > 0 ? 1 : 0;
  } catch (error) {
    // Some errors reach here with an empty stack: their name and message then.
    console.error(`bench failed: ${error instanceof Error ? error.stack || String(error) : String(error)}`);
    console.error(`proxy stderr (tail):\n${proxy?.stderrTail() ?? "(not started)"}\nemulator stderr (tail):\n${emulator.stderrTail()}`);
    return 2;
  } finally {
    // A graceful stop lets the proxy write its CPU profile.
    await proxy?.stop();
    await forwarder?.stop();
    await emulator.stop();
    if (options.cpuProfileDir) console.log(`proxy CPU profile written to ${options.cpuProfileDir}`);
  }
}

const options = readOptions();
const neededFetchLimit = Math.max(1024, options.streams + 64);
const currentFetchLimit = Number(process.env[fetchLimitVariable] ?? 0);
process.exit(currentFetchLimit < neededFetchLimit ? await relaunchWithFetchLimit(neededFetchLimit) : await main(options));
