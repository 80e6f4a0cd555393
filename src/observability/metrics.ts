import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { registerProcessMetrics } from "../../lib/process-metrics.ts";
import { LabelCap } from "./label-cap.ts";

/**
 * The proxy's Prometheus metrics (README "Metrics" lists them). One Registry per Metrics object, never
 * prom-client's global one, so two proxies in one process (tests) count apart. The request path only
 * calls the small observer methods below; labels that come from outside (keys, models, error names,
 * routes) pass through one LabelCap, so no caller can grow the series without bound.
 */

/** What a finished model request's usage record tells (src/gateway/usage/usage-record.ts has these fields). */
export interface FinishedRequest {
  key_id: string;
  resolved_model: string;
  status: number;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

export type Refusal = "rate_limit" | "budget";

/** Seconds: from a fast cache hit to a long extended-thinking answer. */
const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];
const sandboxBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const tokenKinds = [
  ["input", "input_tokens"],
  ["output", "output_tokens"],
  ["cache_read", "cache_read_input_tokens"],
  ["cache_write", "cache_creation_input_tokens"],
] as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly cap: LabelCap;
  private readonly requests: Counter<"route" | "status" | "model" | "key">;
  private readonly latency: Histogram<"model">;
  private readonly firstToken: Histogram<"model">;
  private readonly tokens: Counter<"model" | "key" | "type">;
  private readonly cost: Counter<"model" | "key">;
  private readonly refusals: Counter<"reason" | "key">;
  private readonly upstreamLatency: Histogram<"outcome">;
  private readonly upstreamErrors: Counter<"error">;
  private readonly upstreamRetries: Counter<"error">;
  private readonly streams: Gauge;
  private readonly storeErrors: Counter<"operation">;
  private readonly redisErrors: Counter<"connection">;
  private readonly usageLag: Gauge;
  private readonly ptcSteps: Counter<"step" | "outcome">;
  private readonly ptcStepDuration: Histogram<"outcome">;

  constructor(options: { maxLabelValues: number; usageQueueDepth?: () => number }) {
    this.cap = new LabelCap(options.maxLabelValues);
    const registers = [this.registry];
    registerProcessMetrics(this.registry);
    this.requests = new Counter({ name: "abp_requests_total", help: "HTTP requests answered, by route, status, resolved model and key id", labelNames: ["route", "status", "model", "key"], registers });
    this.latency = new Histogram({ name: "abp_request_duration_seconds", help: "Model requests from admission to the answer's end (streams included)", labelNames: ["model"], buckets: latencyBuckets, registers });
    this.firstToken = new Histogram({ name: "abp_time_to_first_token_seconds", help: "Streamed model requests from admission to the first content delta", labelNames: ["model"], buckets: latencyBuckets, registers });
    this.tokens = new Counter({ name: "abp_tokens_total", help: "Tokens of finished model requests, by type (input, output, cache_read, cache_write)", labelNames: ["model", "key", "type"], registers });
    this.cost = new Counter({ name: "abp_cost_usd_total", help: "Cost in US dollars of finished model requests, at the price book's prices", labelNames: ["model", "key"], registers });
    this.refusals = new Counter({ name: "abp_refusals_total", help: "Requests refused by a key's rate limits or budget", labelNames: ["reason", "key"], registers });
    this.upstreamLatency = new Histogram({ name: "abp_upstream_duration_seconds", help: "Each Bedrock attempt until its first byte (or its failure), by outcome (ok or the error)", labelNames: ["outcome"], buckets: latencyBuckets, registers });
    this.upstreamErrors = new Counter({ name: "abp_upstream_errors_total", help: "Failed Bedrock attempts, by Bedrock's exception name (or the proxy's timeout type)", labelNames: ["error"], registers });
    this.upstreamRetries = new Counter({ name: "abp_upstream_retries_total", help: "Bedrock attempts retried, by the error that was retried", labelNames: ["error"], registers });
    this.streams = new Gauge({ name: "abp_streams_in_flight", help: "Streamed answers being sent now", registers });
    this.storeErrors = new Counter({ name: "abp_store_errors_total", help: "Store calls that failed, by operation", labelNames: ["operation"], registers });
    this.redisErrors = new Counter({ name: "abp_redis_errors_total", help: "Errors of the Redis connections, by connection", labelNames: ["connection"], registers });
    const depth = options.usageQueueDepth;
    new Gauge({ name: "abp_usage_queue_depth", help: "Usage records waiting for the batch writer", registers, collect: depth && function collect() { this.set(depth()); } });
    this.usageLag = new Gauge({ name: "abp_usage_write_lag_seconds", help: "Age of the oldest record of the last batch written to the store", registers });
    this.ptcSteps = new Counter({ name: "abp_ptc_steps_total", help: "PTC execution steps, by step (execute: code run; resume: tool results sent) and outcome (paused, done, or the error code)", labelNames: ["step", "outcome"], registers });
    this.ptcStepDuration = new Histogram({ name: "abp_ptc_step_duration_seconds", help: "PTC execution steps in the sandbox service, by outcome", labelNames: ["outcome"], buckets: sandboxBuckets, registers });
  }

  /** One HTTP request answered (`model` and `key` are `none` where the request never named them). */
  request(route: string, status: number, model: string | undefined, key: string | undefined): void {
    this.requests.inc({ route: this.label("route", route), status: String(status), model: this.label("model", model ?? "none"), key: this.label("key", key ?? "none") });
  }

  /** A model request's outcome, as its ticket records it. */
  finished(record: FinishedRequest): void {
    const model = this.label("model", record.resolved_model);
    const key = this.label("key", record.key_id);
    this.latency.observe({ model }, record.latency_ms / 1_000);
    if (record.time_to_first_token_ms !== null) this.firstToken.observe({ model }, record.time_to_first_token_ms / 1_000);
    for (const [type, field] of tokenKinds) if (record[field] > 0) this.tokens.inc({ model, key, type }, record[field]);
    if (record.cost_usd > 0) this.cost.inc({ model, key }, record.cost_usd);
  }

  refused(reason: Refusal, key: string): void {
    this.refusals.inc({ reason, key: this.label("key", key) });
  }

  streamStarted(): void {
    this.streams.inc();
  }

  streamEnded(): void {
    this.streams.dec();
  }

  /** One Bedrock attempt until its first byte; `error` names what failed it. */
  upstreamAttempt(ms: number, error: string | undefined): void {
    const outcome = error === undefined ? "ok" : this.label("error", error);
    this.upstreamLatency.observe({ outcome }, ms / 1_000);
    if (error !== undefined) this.upstreamErrors.inc({ error: outcome });
  }

  upstreamRetry(error: string): void {
    this.upstreamRetries.inc({ error: this.label("error", error) });
  }

  storeError(operation: string): void {
    this.storeErrors.inc({ operation: this.label("operation", operation) });
  }

  redisError(connection: string): void {
    this.redisErrors.inc({ connection: this.label("connection", connection) });
  }

  /** A batch of usage written: how late its oldest record landed. */
  usageWritten(oldestCreatedAt: string): void {
    this.usageLag.set(Math.max(0, Date.now() - Date.parse(oldestCreatedAt)) / 1_000);
  }

  /** One PTC step in the sandbox service: code run (`execute`) or tool results sent (`resume`). */
  ptcStep(step: "execute" | "resume", outcome: string, ms: number): void {
    const label = this.label("outcome", outcome);
    this.ptcSteps.inc({ step, outcome: label });
    this.ptcStepDuration.observe({ outcome: label }, ms / 1_000);
  }

  private label(name: string, value: string): string {
    return this.cap.value(name, value);
  }
}
