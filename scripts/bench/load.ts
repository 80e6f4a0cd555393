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
 * The warm-up of a concurrent run: long enough for Bun's JIT to finish compiling the request path.
 * After a warm-up of 1,000 requests the proxy's JIT threads still spent 160-185 µs per request, and
 * 100, 80, then 0-15 µs over the next three runs of 4,000 (measured per thread, /proc/<pid>/task):
 * a quarter of the proxy's CPU per request was compiling, which a long-running proxy pays once.
 */
export const jitWarmUp = { maxRequests: 20_000, maxDurationMs: 10_000 } as const;

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
