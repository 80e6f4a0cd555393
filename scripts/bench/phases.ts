import { queueTurns, resetEmulator, type ScriptedTurn, textOfDeltas } from "./emulator-control.ts";
import { type LoadOutcome, type LoadPlan, type Percentiles, percentiles, runClosedLoop, throughput, type WarmUp, warmUp as warm } from "./load.ts";
import { type MemoryReading, ownCpuSeconds, readCpuSeconds, readMemory, resetPeakRss } from "./proc.ts";
import { type Endpoints, type PreparedRequest, prepareRequest, type Route, timeCompletion, timeStream, type Via } from "./workload.ts";

/**
 * The bench's three phases. Each measures one workload twice in the same run, sent to the emulator
 * directly (the baseline) and through the proxy, so every figure can be given as a ratio.
 */

export interface RunCounts {
  completed: number;
  failures: number;
  firstFailure: string | undefined;
  perSecond: number;
}

function counts(outcome: LoadOutcome<unknown>): RunCounts {
  return { completed: outcome.samples.length, failures: outcome.failures, firstFailure: outcome.firstFailure, perSecond: throughput(outcome) };
}

export interface Pair<T> {
  direct: T;
  proxy: T;
}

export interface Pids {
  emulator: number;
  proxy: number;
  forwarder: number;
}

/**
 * CPU each process spent per completed request, in µs: where the machine's two cores went. The load
 * generator shares those cores, so its share is shown too.
 */
export interface CpuPerRequest {
  benchUs: number;
  emulatorUs: number;
  proxyUs: number;
}

/** The pids as `via`'s run is charged: through the forwarder, its CPU goes in the proxy's place (`proxyUs`). */
function chargedPids(pids: Pids, via: Via): Pids {
  return via === "forwarder" ? { ...pids, proxy: pids.forwarder } : pids;
}

/** Runs `work` and charges the CPU each process used meanwhile to its `completed` requests. */
async function withCpuAccounting<T extends { completed: number }>(pids: Pids, work: () => Promise<T>): Promise<T & { cpu: CpuPerRequest }> {
  const read = async () => ({ bench: ownCpuSeconds(), emulator: await readCpuSeconds(pids.emulator), proxy: await readCpuSeconds(pids.proxy) });
  const before = await read();
  const result = await work();
  const after = await read();
  const perRequestUs = (seconds: number) => (seconds * 1e6) / Math.max(1, result.completed);
  return {
    ...result,
    cpu: {
      benchUs: perRequestUs(after.bench - before.bench),
      emulatorUs: perRequestUs(after.emulator - before.emulator),
      proxyUs: perRequestUs(after.proxy - before.proxy),
    },
  };
}

// ——— Phase 1: non-streaming ———

export interface CompletionRun extends RunCounts {
  latency: Percentiles;
  cpu: CpuPerRequest;
}

export interface CompletionComparison extends Pair<CompletionRun> {
  route: Route;
  concurrency: number;
  /** The same requests through the bare SigV4 forwarder: its CPU is in `cpu.proxyUs`. */
  floor: CompletionRun;
}

/** Warm-up first (the JIT and the keep-alive pools, until `underTest`'s CPU per request settles), then the measured run. */
async function measureCompletions(pids: Pids, underTest: number, request: PreparedRequest, warmUp: WarmUp, plan: LoadPlan): Promise<CompletionRun> {
  await warm(warmUp, async (window) => (await runClosedLoop(window, () => timeCompletion(request))).samples.length, () => readCpuSeconds(underTest));
  return withCpuAccounting(pids, async () => {
    const outcome = await runClosedLoop(plan, () => timeCompletion(request));
    return { ...counts(outcome), latency: percentiles(outcome.samples) };
  });
}

export async function compareCompletions(endpoints: Endpoints, pids: Pids, route: Route, warmUp: WarmUp, plan: LoadPlan): Promise<CompletionComparison> {
  await resetEmulator(endpoints.emulator);
  const underTest: Record<Via, number> = { direct: pids.emulator, forwarder: pids.forwarder, proxy: pids.proxy };
  const run = async (via: Via) =>
    measureCompletions(chargedPids(pids, via), underTest[via], await prepareRequest(endpoints, via, route, false), warmUp, plan);
  const direct = await run("direct");
  const floor = await run("forwarder");
  const proxy = await run("proxy");
  return { route, concurrency: plan.concurrency, direct, floor, proxy };
}

// ——— Phase 2: streaming ———

export interface StreamRun extends RunCounts {
  firstToken: Percentiles;
  total: Percentiles;
  /** CPU per stream; the forwarder's own is in `proxyUs` (see `chargedPids`). */
  cpu: CpuPerRequest;
}

export interface StreamComparison extends Pair<StreamRun> {
  route: Route;
  concurrency: number;
  turn: ScriptedTurn;
  /** The same streams relayed by the bare SigV4 forwarder: what any SigV4 proxy adds to the first token here. */
  floor: StreamRun;
}

/** A multi-chunk answer paced by the emulator, so the first token comes well before the end. */
export function pacedTurn(deltas: number, chunkChars: number, chunkDelayMs: number): ScriptedTurn {
  return { content: [{ text: textOfDeltas(deltas, chunkChars) }], chunkChars, chunkDelayMs };
}

async function measureStreams(endpoints: Endpoints, pids: Pids, request: PreparedRequest, turn: ScriptedTurn, warmUp: LoadPlan, plan: LoadPlan): Promise<StreamRun> {
  // One scripted turn per request, so that every stream of the run has the same shape.
  await resetEmulator(endpoints.emulator);
  await queueTurns(endpoints.emulator, turn, warmUp.maxRequests + plan.maxRequests);
  await runClosedLoop(warmUp, () => timeStream(request));
  const run = await withCpuAccounting(pids, async () => {
    const outcome = await runClosedLoop(plan, () => timeStream(request));
    return {
      ...counts(outcome),
      firstToken: percentiles(outcome.samples.map((timing) => timing.firstTokenMs)),
      total: percentiles(outcome.samples.map((timing) => timing.totalMs)),
    };
  });
  await resetEmulator(endpoints.emulator);
  return run;
}

export async function compareStreams(endpoints: Endpoints, pids: Pids, route: Route, turn: ScriptedTurn, warmUp: LoadPlan, plan: LoadPlan): Promise<StreamComparison> {
  const run = async (via: Via) => measureStreams(endpoints, chargedPids(pids, via), await prepareRequest(endpoints, via, route, true), turn, warmUp, plan);
  const direct = await run("direct");
  const floor = await run("forwarder");
  const proxy = await run("proxy");
  return { route, concurrency: plan.concurrency, turn, direct, floor, proxy };
}

// ——— Phase 3: many streams held open at once ———

export interface HeldStreamsRun {
  streams: number;
  /** The most streams that had started (message_start seen) and not yet ended, at one moment. */
  maxOpen: number;
  /** Streams whose message_stop arrived. */
  stopped: number;
  failures: number;
  firstFailure: string | undefined;
  elapsedMs: number;
  /** The memory of the process that held the streams (the emulator direct, the proxy through it). */
  memory: PhaseMemory;
}

export interface PhaseMemory {
  /** RSS just before the phase. */
  before: number;
  /** The kernel's VmHWM over the phase (reset before it), or the sampled peak where it could not be reset. */
  peak: number;
  /** The highest RSS seen by sampling every `rssSampleMs`; a check on `peak`. */
  sampledPeak: number;
  peakIsPhaseOnly: boolean;
}

export interface HeldStreamsComparison extends Pair<HeldStreamsRun> {
  turn: ScriptedTurn;
  /** The proxy's RSS right after start-up, before any load. */
  proxyIdleRss: number;
}

const rssSampleMs = 100;

/** Samples a process's RSS until stopped; VmHWM is the authority, this confirms it. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, (await readMemory(pid)).rss);
      await Bun.sleep(rssSampleMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Opens every stream at once and follows each to its end, counting how many are open together. */
async function holdStreams(request: PreparedRequest, streams: number): Promise<Omit<HeldStreamsRun, "memory">> {
  let open = 0;
  let maxOpen = 0;
  let stopped = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const one = async () => {
    let isOpen = false;
    try {
      await timeStream(request, (milestone) => {
        if (milestone === "start") {
          isOpen = true;
          maxOpen = Math.max(maxOpen, ++open);
        }
        if (milestone === "stop") stopped++;
      });
    } catch (error) {
      failures++;
      firstFailure ??= error instanceof Error ? error.message : String(error);
    } finally {
      if (isOpen) open--;
    }
  };
  await Promise.all(Array.from({ length: streams }, one));
  return { streams, maxOpen, stopped, failures, firstFailure, elapsedMs: performance.now() - started };
}

async function measureHeldStreams(endpoints: Endpoints, via: Via, holderPid: number, turn: ScriptedTurn, streams: number): Promise<HeldStreamsRun> {
  await resetEmulator(endpoints.emulator);
  await queueTurns(endpoints.emulator, turn, streams);
  const before: MemoryReading = await readMemory(holderPid);
  const peakIsPhaseOnly = resetPeakRss(holderPid);
  const sampler = sampleRss(holderPid);
  const run = await holdStreams(await prepareRequest(endpoints, via, "invoke", true), streams);
  const sampledPeak = await sampler.stop();
  const after = await readMemory(holderPid);
  await resetEmulator(endpoints.emulator);
  const peak = peakIsPhaseOnly ? after.peakRss : sampledPeak;
  return { ...run, memory: { before: before.rss, peak, sampledPeak, peakIsPhaseOnly } };
}

export async function compareHeldStreams(
  endpoints: Endpoints,
  pids: Pids,
  proxyIdleRss: number,
  turn: ScriptedTurn,
  streams: number,
): Promise<HeldStreamsComparison> {
  const direct = await measureHeldStreams(endpoints, "direct", pids.emulator, turn, streams);
  const proxy = await measureHeldStreams(endpoints, "proxy", pids.proxy, turn, streams);
  return { turn, proxyIdleRss, direct, proxy };
}
