import { ApiError } from "../anthropic/errors.ts";
import type { Usage } from "../anthropic/messages.ts";
import type { ResolvedModel } from "../bedrock/models.ts";
import type { Logger } from "../log.ts";
import { type ApiKey, type ServiceTier, type Store, type UsageRecordInput, usageRecordSchema, utcMonth } from "../store/types.ts";
import { modelAllowed } from "./keys/allowed-models.ts";
import { sameSecret } from "./keys/credentials.ts";
import type { KeyCache } from "./keys/key-cache.ts";
import { hashKey } from "./keys/secret.ts";
import type { PriceBook } from "./pricing/price-book.ts";
import { type Admission, type RateLimiter, renderRateLimitHeaders } from "./rate-limit/types.ts";
import type { BatchWriter } from "./usage/batch-writer.ts";

/**
 * Who is calling and what they may spend: authentication by issued key (or the operator's master
 * key), allowed models, per-key rate limits on requests and tokens, usage and cost of every
 * request, and the monthly budget that switches a key off.
 */

export type Principal = { kind: "operator" } | { kind: "anonymous" } | { kind: "key"; key: ApiKey };

export interface GatewayOptions {
  store: Store;
  keys: KeyCache;
  limiter: RateLimiter;
  usage: BatchWriter<UsageRecordInput>;
  prices: PriceBook;
  masterKey: string | undefined;
  /** `open`: requests without an issued key pass as anonymous (development); `keys`: they are refused. */
  authMode: "keys" | "open";
  now: () => Date;
  log: Logger;
}

/** How long a key's `last_used_at` may lag: a store write per request would cost more than it tells. */
const touchIntervalMs = 60_000;

export class Gateway {
  private readonly touched = new Map<string, number>();

  constructor(private readonly options: GatewayOptions) {}

  async authenticate(presented: string | undefined): Promise<Principal> {
    const { masterKey, authMode } = this.options;
    if (presented && masterKey && sameSecret(presented, masterKey)) return { kind: "operator" };
    const key = presented ? await this.options.keys.byHash(hashKey(presented)) : undefined;
    if (!key) {
      if (authMode === "open") return { kind: "anonymous" };
      throw new ApiError("authentication_error", presented ? "invalid x-api-key" : "x-api-key header is required");
    }
    await this.refuseUnusable(key);
    this.touch(key);
    return { kind: "key", key };
  }

  authorizeModel(principal: Principal, model: ResolvedModel): void {
    if (principal.kind !== "key" || modelAllowed(principal.key.allowed_models, model.modelId)) return;
    throw new ApiError(
      "permission_error",
      `This API key may not use model ${model.requested} (${model.modelId}). Allowed: ${principal.key.allowed_models.join(", ")}`,
    );
  }

  /** Reserves the request's estimated tokens; refused → 429 with retry-after and the limit headers. */
  async admit(principal: Principal, model: ResolvedModel, reserveTokens: number, requestId: string): Promise<Ticket> {
    const key = principal.kind === "key" ? principal.key : undefined;
    const limits = { rpm: key?.rpm ?? undefined, tpm: key?.tpm ?? undefined };
    const admission = key && (limits.rpm || limits.tpm) ? await this.options.limiter.admit(key.id, limits, reserveTokens) : undefined;
    if (admission && !admission.admitted) {
      throw new RateLimitError(`This API key's ${admission.limitedBy} per minute limit is exceeded; retry in ${admission.retryAfterSeconds} s`, admission);
    }
    return new Ticket(this.options, { principal, model, requestId, admission, tier: key?.service_tier ?? "default" });
  }

  private async refuseUnusable(key: ApiKey): Promise<void> {
    if (key.status !== "active") {
      throw new ApiError("permission_error", `This API key is ${key.status}${key.status_reason ? `: ${key.status_reason}` : ""}`);
    }
    const now = this.options.now();
    if (key.expires_at && Date.parse(key.expires_at) <= now.getTime()) throw new ApiError("permission_error", `This API key expired at ${key.expires_at}`);
    const budget = key.monthly_budget_usd;
    if (budget === null) return;
    const month = utcMonth(now);
    const spent = await this.options.store.getMonthSpend(key.id, month);
    if (spent < budget) return;
    throw new ApiError(
      "permission_error",
      `This API key has reached its monthly budget of $${budget} (spent $${spent.toFixed(4)} in ${month}); it works again at ${nextMonthStart(now)}`,
    );
  }

  private touch(key: ApiKey): void {
    const now = this.options.now().getTime();
    if (now - (this.touched.get(key.id) ?? 0) < touchIntervalMs) return;
    this.touched.set(key.id, now);
    this.options.store.touchKey(key.id, new Date(now).toISOString()).catch((error: unknown) => this.options.log.warn("could not record key use", { error }));
  }
}

/** A 429 that still carries the limit headers. */
export class RateLimitError extends ApiError {
  constructor(
    message: string,
    readonly admission: Admission,
  ) {
    super("rate_limit_error", message, { retryAfterSeconds: admission.admitted ? undefined : admission.retryAfterSeconds });
  }
}

export interface Outcome {
  usage: Usage;
  status: number;
  errorType: string | null;
  /** The tier that served the request (the key's, or `default` after a fallback). */
  servedTier: ServiceTier;
}

/** One admitted request: its limit headers now, its usage, cost and spend when it ends. */
export class Ticket {
  readonly tier: ServiceTier;
  private readonly started = performance.now();
  private firstTokenMs: number | null = null;
  private finished = false;

  constructor(
    private readonly options: GatewayOptions,
    private readonly request: { principal: Principal; model: ResolvedModel; requestId: string; admission: Admission | undefined; tier: ServiceTier },
  ) {
    this.tier = request.tier;
  }

  headers(): Record<string, string> {
    return this.request.admission ? renderRateLimitHeaders(this.request.admission) : {};
  }

  markFirstToken(): void {
    this.firstTokenMs ??= performance.now() - this.started;
  }

  /**
   * Settles the reservation and records usage and cost; the store adds the cost to the key's month
   * spend with the record. Only what the next request depends on is awaited: a budgeted key's costly
   * record, so the request after the one that crosses the budget is refused on every replica. The
   * refund of unused tokens and every other record (through the batch writer) may land a moment later.
   */
  async finish(outcome: Outcome): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const { principal, model, requestId, admission } = this.request;
    const used = outcome.usage.input_tokens + outcome.usage.cache_creation_input_tokens + outcome.usage.output_tokens;
    if (admission?.admitted) this.options.limiter.settle(admission.reservation, used).catch((error: unknown) => this.options.log.warn("could not settle tokens", { error }));
    const cost = await this.options.prices.cost(model.modelId, outcome.usage, outcome.servedTier);
    const keyId = principal.kind === "key" ? principal.key.id : principal.kind;
    const record: UsageRecordInput = {
      request_id: requestId,
      key_id: keyId,
      created_at: this.options.now().toISOString(),
      requested_model: model.requested,
      resolved_model: model.modelId,
      input_tokens: outcome.usage.input_tokens,
      output_tokens: outcome.usage.output_tokens,
      cache_read_input_tokens: outcome.usage.cache_read_input_tokens,
      cache_creation_input_tokens: outcome.usage.cache_creation_input_tokens,
      service_tier: outcome.servedTier,
      time_to_first_token_ms: this.firstTokenMs,
      latency_ms: performance.now() - this.started,
      status: outcome.status,
      error_type: outcome.errorType,
      cost_usd: cost,
    };
    // One record the store refuses would hold up every batch behind it: check it here, once.
    const checked = usageRecordSchema.safeParse(record);
    if (!checked.success) {
      this.options.log.error("usage record not storable; dropped", { request_id: requestId, issues: checked.error.issues });
      return;
    }
    // A record without cost adds no spend, so the budget check does not wait for it.
    if (principal.kind === "key" && principal.key.monthly_budget_usd !== null && cost > 0) await this.writeNow(record);
    else this.options.usage.push(record);
  }

  /**
   * Writes one record past the batch writer, for the budget check that reads its spend. A failure
   * leaves it to the batch writer, which retries until it lands (once: the write is idempotent by
   * request id).
   */
  private async writeNow(record: UsageRecordInput): Promise<void> {
    try {
      await this.options.store.writeUsage([record]);
    } catch (error) {
      const { request_id, key_id } = record;
      this.options.log.error("could not write a budgeted key's usage; the batch writer retries it", { request_id, key_id, error });
      this.options.usage.push(record);
    }
  }
}

function nextMonthStart(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
}
