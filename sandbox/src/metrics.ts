/**
 * The sandbox service's Prometheus metrics, served open at GET /metrics like /health (README
 * "Metrics"): they tell what /health tells, counted over time, and the service listens where only
 * the proxy (and the scraper) reach it, so the scraper needs no copy of the token that runs code.
 * One Registry per service, never prom-client's global one, so services in one test process count apart.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { registerProcessMetrics } from "../../lib/process-metrics.ts";
import type { ExecutionResult } from "../../lib/sandbox-api.ts";

export interface ServiceGauges {
  pool(): { idle: number; busy: number; starting: number };
  sessions(): number;
}

/** Seconds: a bwrap runtime starts in tens of milliseconds, a docker container in about a second. */
const startBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const stepBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class SandboxMetrics {
  readonly registry = new Registry();
  private readonly steps: Counter<"step" | "outcome">;
  private readonly stepDuration: Histogram<"step">;
  private readonly starts: Histogram<"outcome">;

  constructor(gauges: ServiceGauges) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry);
    new Gauge({
      name: "abp_sandbox_pool_runtimes",
      help: "Runtimes of the warm pool, by state: idle (warm), busy (in a session), starting",
      labelNames: ["state"],
      registers,
      collect() {
        for (const [state, count] of Object.entries(gauges.pool())) this.set({ state }, count);
      },
    });
    new Gauge({
      name: "abp_sandbox_sessions",
      help: "Live sessions (containers)",
      registers,
      collect() {
        this.set(gauges.sessions());
      },
    });
    this.steps = new Counter({ name: "abp_sandbox_executions_total", help: "Execution steps, by step (execute, resume) and outcome (tool_calls, completed, or the error code)", labelNames: ["step", "outcome"], registers });
    this.stepDuration = new Histogram({ name: "abp_sandbox_execution_duration_seconds", help: "Execution steps from request to result, by step", labelNames: ["step"], buckets: stepBuckets, registers });
    this.starts = new Histogram({ name: "abp_sandbox_runtime_start_seconds", help: "Runtime (sandbox) start times, by outcome (ok, failed)", labelNames: ["outcome"], buckets: startBuckets, registers });
  }

  step(step: "execute" | "resume", result: ExecutionResult, ms: number): void {
    this.steps.inc({ step, outcome: result.status === "failed" ? result.error_code : result.status });
    this.stepDuration.observe({ step }, ms / 1_000);
  }

  runtimeStarted(ms: number, ok: boolean): void {
    this.starts.observe({ outcome: ok ? "ok" : "failed" }, ms / 1_000);
  }
}
