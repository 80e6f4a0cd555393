/**
 * A closed-loop load generator: `concurrency` workers, each sending its next request as soon as the
 * previous one is answered, until `maxRequests` have been sent or `maxDurationMs` has passed,
 * whichever comes first. Both bounds keep a slow target from stretching the run.
 */

export interface LoadPlan {
  concurrency: number;
  maxRequests: number;
  maxDurationMs: number;
}

export interface LoadOutcome<Sample> {
  samples: Sample[];
  failures: number;
  /** The first failure's message, to show what went wrong without flooding the report. */
  firstFailure: string | undefined;
  elapsedMs: number;
}

/**
 * The warm-up of a concurrent run: until Bun's JIT has finished compiling the request path, read from
 * the CPU per request of the process under test. After at least `minRequests`, windows of
 * `windowRequests` run until one costs within `tolerance` of the one before, for at most
 * `maxDurationMs`. A fixed warm-up was not enough: after 1,000 requests the proxy's JIT threads still
 * spent 160-185 µs of each request, and after 20,000 its next 8,000 still cost 348-405 µs a request
 * where it settled at 315 (docs/performance.md#warm-up). A long-running proxy pays that once.
 */
export const jitSettling = { minRequests: 20_000, windowRequests: 4_000, tolerance: 0.05, maxDurationMs: 60_000 } as const;

/** A concurrent run's warm-up: until the process's CPU per request settles (see `jitSettling`). */
export interface SettlingWarmUp {
  concurrency: number;
  untilSettled: true;
}

export type WarmUp = LoadPlan | SettlingWarmUp;

export interface WarmedUp {
  requests: number;
  /** False when `maxDurationMs` ran out first. */
  settled: boolean;
}

/**
 * Runs a warm-up. `runWindow` sends a plan's requests and resolves to how many completed;
 * `cpuSeconds` reads the CPU the process under test has used so far.
 */
export async function warmUp(plan: WarmUp, runWindow: (plan: LoadPlan) => Promise<number>, cpuSeconds: () => Promise<number>): Promise<WarmedUp> {
  if (!("untilSettled" in plan)) return { requests: await runWindow(plan), settled: true };
  const window: LoadPlan = { concurrency: plan.concurrency, maxRequests: jitSettling.windowRequests, maxDurationMs: jitSettling.maxDurationMs };
  const deadline = performance.now() + jitSettling.maxDurationMs;
  let requests = 0;
  let previousUs: number | undefined;
  for (;;) {
    const before = await cpuSeconds();
    const completed = await runWindow(window);
    const perRequestUs = (((await cpuSeconds()) - before) * 1e6) / Math.max(1, completed);
    requests += completed;
    const steady = previousUs !== undefined && Math.abs(perRequestUs - previousUs) <= jitSettling.tolerance * previousUs;
    if (requests >= jitSettling.minRequests && steady) return { requests, settled: true };
    if (performance.now() > deadline) return { requests, settled: false };
    previousUs = perRequestUs;
  }
}

export async function runClosedLoop<Sample>(plan: LoadPlan, send: () => Promise<Sample>): Promise<LoadOutcome<Sample>> {
  const samples: Sample[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let issued = 0;
  const started = performance.now();
  const deadline = started + plan.maxDurationMs;
  const worker = async () => {
    while (issued < plan.maxRequests && performance.now() < deadline) {
      issued++;
      try {
        samples.push(await send());
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return { samples, failures, firstFailure, elapsedMs: performance.now() - started };
}

/** Completed requests per second over the whole run, failures excluded. */
export function throughput(outcome: LoadOutcome<unknown>): number {
  return outcome.samples.length / (outcome.elapsedMs / 1000);
}

export interface Percentiles {
  p50: number;
  p99: number;
}

/** Nearest-rank percentiles: a value that was actually observed, never an interpolation. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: Number.NaN, p99: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return { p50: rank(50), p99: rank(99) };
}
