import { ApiError } from "../anthropic/errors.ts";
import type { ResolvedModel } from "../bedrock/models.ts";
import type { PreparedRequest } from "../bedrock/prepare.ts";
import type { ServiceTier } from "../bedrock/service-tier.ts";
import type { ApiKey } from "./keys/api-key.ts";
import type { Store } from "./store.ts";
import { modelAllowed } from "./keys/allowed-models.ts";
import { sameSecret } from "../../lib/credentials.ts";
import { inSpan, tracingOn } from "../../lib/tracing.ts";
import type { KeyCache } from "./keys/key-cache.ts";
import { hashKey } from "./keys/secret.ts";
import { type BudgetHold, BudgetRefusal } from "./budget/budgets.ts";
import type { Admission, RateLimits } from "./rate-limit/types.ts";
import { Ticket, type TicketParts } from "./ticket.ts";

/**
 * Who is calling and what they may spend: authentication by issued key (or the operator's master
 * key), allowed models, per-key rate limits on requests and tokens, usage and cost of every
 * request, and the monthly budget that switches a key off.
 */

export type Principal = { kind: "operator" } | { kind: "anonymous" } | { kind: "key"; key: ApiKey };

/** Whose usage, and whose PTC containers, a request's are: the key's id, or `operator` or `anonymous`. */
export function ownerOf(principal: Principal): string {
  return principal.kind === "key" ? principal.key.id : principal.kind;
}

/** The ticket's parts, and what authentication needs besides. */
export interface GatewayOptions extends TicketParts {
  store: Store;
  keys: KeyCache;
  masterKey: string | undefined;
  /** `open`: requests without any key pass as anonymous (development); `keys`: they are refused. An unknown key is refused in both. */
  authMode: "keys" | "open";
  /** What a key without its own limits and tier gets (DEFAULT_RPM, DEFAULT_TPM, DEFAULT_SERVICE_TIER); the tier serves anonymous and operator requests too. */
  defaults: { limits: RateLimits; tier: ServiceTier };
  /** Told of each request a key's rate limits or budget refused (metrics). */
  refusals?: { refused(reason: "rate_limit" | "budget", keyId: string): void } | undefined;
}

/** How long a key's `last_used_at` may lag: a store write per request would cost more than it tells. */
const touchIntervalMs = 60_000;

export class Gateway {
  private readonly touched = new Map<string, number>();

  constructor(private readonly options: GatewayOptions) {}

  async authenticate(presented: string | undefined): Promise<Principal> {
    const { masterKey, authMode } = this.options;
    if (!presented) {
      if (authMode === "open") return { kind: "anonymous" };
      throw new ApiError("authentication_error", "x-api-key header is required");
    }
    if (masterKey && sameSecret(presented, masterKey)) return { kind: "operator" };
    // A key that is presented is checked in every mode: a typo or a revoked key must not pass as anonymous.
    const key = await this.options.keys.byHash(hashKey(presented));
    if (!key) throw new ApiError("authentication_error", "invalid x-api-key");
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
   * Admits a prepared request: holds its worst-case cost against a budgeted key's budget, then
   * reserves its tokens (input estimate + `max_tokens`) with the rate limiter; refused → 429 with
   * retry-after and the limit headers. What was held is given back when the request is refused.
   * Traced as the `gateway.admit` span.
   */
  admit(principal: Principal, prepared: PreparedRequest, requestId: string): Promise<Ticket> {
    if (!tracingOn()) return this.admitNow(principal, prepared, requestId);
    const attributes = { "gateway.key_id": ownerOf(principal), "gen_ai.request.model": prepared.model.modelId };
    return inSpan("gateway.admit", attributes, () => this.admitNow(principal, prepared, requestId));
  }

  private async admitNow(principal: Principal, prepared: PreparedRequest, requestId: string): Promise<Ticket> {
    const { model, estimatedInputTokens: inputTokens } = prepared;
    const maxTokens = prepared.request.max_tokens;
    const key = principal.kind === "key" ? principal.key : undefined;
    const { defaults } = this.options;
    const tier = key?.service_tier ?? defaults.tier;
    const budgeted = key !== undefined && key.monthly_budget_usd !== null;
    const worstUsd = budgeted ? await this.options.prices.worstCase(model.modelId, inputTokens, maxTokens, tier) : 0;
    const hold = key && this.holdBudget(key, worstUsd);
    try {
      const limits = { rpm: key?.rpm ?? defaults.limits.rpm, tpm: key?.tpm ?? defaults.limits.tpm };
      const admission = key && (limits.rpm || limits.tpm) ? await this.options.limiter.admit(key.id, limits, inputTokens + maxTokens) : undefined;
      if (admission && !admission.admitted) {
        throw new RateLimitError(`This API key's ${admission.limitedBy} per minute limit is exceeded; retry in ${admission.retryAfterSeconds} s`, admission);
      }
      return new Ticket(this.options, { keyId: ownerOf(principal), model, requestId, admission, hold, tier });
    } catch (error) {
      if (hold) this.options.budgets.settle(hold, 0);
      if (key) this.noteRefusal(key.id, error);
      throw error;
    }
  }

  private async refuseUnusable(key: ApiKey): Promise<void> {
    if (key.status !== "active") {
      throw new ApiError("permission_error", `This API key is ${key.status}${key.status_reason ? `: ${key.status_reason}` : ""}`);
    }
    const now = this.options.now();
    if (key.expires_at && Date.parse(key.expires_at) <= now.getTime()) throw new ApiError("permission_error", `This API key expired at ${key.expires_at}`);
    await this.options.budgets.check(key).catch((error: unknown) => {
      this.noteRefusal(key.id, error);
      throw error;
    });
  }

  private holdBudget(key: ApiKey, worstUsd: number): BudgetHold | undefined {
    try {
      return this.options.budgets.hold(key, worstUsd);
    } catch (error) {
      this.noteRefusal(key.id, error);
      throw error;
    }
  }

  private noteRefusal(keyId: string, error: unknown): void {
    if (error instanceof RateLimitError) this.options.refusals?.refused("rate_limit", keyId);
    else if (error instanceof BudgetRefusal) this.options.refusals?.refused("budget", keyId);
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
