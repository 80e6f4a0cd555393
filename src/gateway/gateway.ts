import { ApiError } from "../anthropic/errors.ts";
import type { Usage } from "../anthropic/messages.ts";
import type { ResolvedModel } from "../bedrock/models.ts";
import type { Logger } from "../../lib/log.ts";
import type { ApiKey } from "./keys/api-key.ts";
import type { ServiceTier } from "../bedrock/service-tier.ts";
import type { Store } from "./store.ts";
import { type UsageRecordInput, usageRecordSchema } from "./usage/usage-record.ts";
import type { BudgetHold, Budgets } from "./budget/budgets.ts";
import { modelAllowed } from "./keys/allowed-models.ts";
import { sameSecret } from "../../lib/credentials.ts";
import type { KeyCache } from "./keys/key-cache.ts";
import { hashKey } from "./keys/secret.ts";
import type { PriceBook } from "./pricing/price-book.ts";
import { type Admission, type RateLimiter, renderRateLimitHeaders } from "./rate-limit/types.ts";
import type { StoreOutage } from "./store-outage.ts";
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
  budgets: Budgets;
  outage: StoreOutage;
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

  /**
   * Holds the request's worst-case cost against a budgeted key's budget, then reserves its tokens
   * (input estimate + `max_tokens`) with the rate limiter; refused → 429 with retry-after and the
   * limit headers. What was held is given back when the request is refused.
   */
  async admit(principal: Principal, model: ResolvedModel, reserve: TokenReservation, requestId: string): Promise<Ticket> {
    const key = principal.kind === "key" ? principal.key : undefined;
    const tier = key?.service_tier ?? "default";
    const budgeted = key !== undefined && key.monthly_budget_usd !== null;
    const worstUsd = budgeted ? await this.options.prices.worstCase(model.modelId, reserve.inputTokens, reserve.maxTokens, tier) : 0;
    const hold = key && this.options.budgets.hold(key, worstUsd);
    try {
      const limits = { rpm: key?.rpm ?? undefined, tpm: key?.tpm ?? undefined };
      const tokens = reserve.inputTokens + reserve.maxTokens;
      const admission = key && (limits.rpm || limits.tpm) ? await this.options.limiter.admit(key.id, limits, tokens) : undefined;
      if (admission && !admission.admitted) {
        throw new RateLimitError(`This API key's ${admission.limitedBy} per minute limit is exceeded; retry in ${admission.retryAfterSeconds} s`, admission);
      }
      return new Ticket(this.options, { principal, model, requestId, admission, hold, tier });
    } catch (error) {
      if (hold) this.options.budgets.settle(hold, 0);
      throw error;
    }
  }

  private async refuseUnusable(key: ApiKey): Promise<void> {
    if (key.status !== "active") {
      throw new ApiError("permission_error", `This API key is ${key.status}${key.status_reason ? `: ${key.status_reason}` : ""}`);
    }
    const now = this.options.now();
    if (key.expires_at && Date.parse(key.expires_at) <= now.getTime()) throw new ApiError("permission_error", `This API key expired at ${key.expires_at}`);
    await this.options.budgets.check(key);
  }

  private touch(key: ApiKey): void {
    const now = this.options.now().getTime();
    if (now - (this.touched.get(key.id) ?? 0) < touchIntervalMs) return;
    this.touched.set(key.id, now);
    // A failure is the outage's to log (once); the next touch a minute later tries again.
    if (this.options.outage.mayCall()) this.options.outage.watch(this.options.store.touchKey(key.id, new Date(now).toISOString())).catch(() => undefined);
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

/** The tokens a request may use: its input estimate and its `max_tokens`. */
export interface TokenReservation {
  inputTokens: number;
  maxTokens: number;
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
    private readonly request: {
      principal: Principal;
      model: ResolvedModel;
      requestId: string;
      admission: Admission | undefined;
      hold: BudgetHold | undefined;
      tier: ServiceTier;
    },
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
   * Settles the reservations and records usage and cost; the store adds the cost to the key's month
   * spend with the record. Only what the next request depends on is awaited: a budgeted key's costly
   * record, so the request after the one that crosses the budget is refused on every replica. The
   * refund of unused tokens and every other record (through the batch writer) may land a moment later.
   */
  async finish(outcome: Outcome): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const { admission, hold, model } = this.request;
    const used = outcome.usage.input_tokens + outcome.usage.cache_creation_input_tokens + outcome.usage.output_tokens;
    if (admission?.admitted) this.options.limiter.settle(admission.reservation, used).catch((error: unknown) => this.options.log.warn("could not settle tokens", { error }));
    let cost = 0;
    try {
      cost = await this.options.prices.cost(model.modelId, outcome.usage, outcome.servedTier);
      await this.record(outcome, cost);
    } finally {
      // After the record: its cost counts in the spend before the hold that stood for it goes.
      if (hold) this.options.budgets.settle(hold, cost);
    }
  }

  private async record(outcome: Outcome, cost: number): Promise<void> {
    const { principal, model, requestId } = this.request;
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
   * Writes one record past the batch writer, for the budget check that reads its spend. A failure,
   * or a store known to be out, leaves it to the batch writer, which retries until it lands (once:
   * the write is idempotent by request id); the outage itself is logged once, by StoreOutage.
   */
  private async writeNow(record: UsageRecordInput): Promise<void> {
    const { outage, store, usage } = this.options;
    if (!outage.mayCall()) return usage.push(record);
    await outage.watch(store.writeUsage([record])).catch(() => usage.push(record));
  }
}
