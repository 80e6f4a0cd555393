import { type ApiError, toApiError } from "../anthropic/errors.ts";
import { emptyUsage, type Usage } from "../anthropic/messages.ts";
import type { ResolvedModel } from "../bedrock/models.ts";
import type { ServiceTier } from "../bedrock/service-tier.ts";
import type { CompletedMessage, StreamChunk, UpstreamCall, UpstreamStream } from "../bedrock/upstream.ts";
import type { Logger } from "../../lib/log.ts";
import type { BudgetHold, Budgets } from "./budget/budgets.ts";
import type { PriceBook } from "./pricing/price-book.ts";
import { type Admission, type RateLimiter, renderRateLimitHeaders } from "./rate-limit/types.ts";
import type { StoreOutage } from "./store-outage.ts";
import type { BatchWriter } from "./usage/batch-writer.ts";
import { checkUsageRecord, type UsageRecordInput, type UsageStore } from "./usage/usage-record.ts";

/** Told of each ticket's stream and outcome (metrics). */
export interface TicketObserver {
  finished(record: UsageRecordInput): void;
  streamStarted(): void;
  streamEnded(): void;
}

/** The gateway's parts a ticket settles with and records to. */
export interface TicketParts {
  store: UsageStore;
  limiter: RateLimiter;
  usage: BatchWriter<UsageRecordInput>;
  prices: PriceBook;
  budgets: Budgets;
  outage: StoreOutage;
  now: () => Date;
  log: Logger;
  observer?: TicketObserver | undefined;
}

/** A request as the gateway admitted it. */
export interface Admitted {
  /** Whose usage it is: the key's id, or `operator` or `anonymous`. */
  keyId: string;
  model: ResolvedModel;
  requestId: string;
  admission: Admission | undefined;
  /** What it holds against its key's budget: only a budgeted key's requests hold. */
  hold: BudgetHold | undefined;
  tier: ServiceTier;
}

interface Outcome {
  usage: Usage;
  status: number;
  errorType: string | null;
}

/** nginx's "client closed request": the client left before the answer was complete. */
const clientClosedStatus = 499;

/**
 * One admitted request, from its limit headers to its record. Its answer runs through `complete` or
 * `stream` and ends in exactly one outcome: 200, failed before the first byte, failed mid-stream, or
 * the client gone (499). The outcome is recorded with the usage, the cost and the first-token time,
 * and settles what admission reserved: the tokens with the rate limiter, the hold on the budget.
 */
export class Ticket {
  readonly tier: ServiceTier;
  private readonly started = performance.now();
  private firstTokenMs: number | null = null;
  private finished = false;

  constructor(
    private readonly parts: TicketParts,
    private readonly admitted: Admitted,
  ) {
    this.tier = admitted.tier;
  }

  headers(): Record<string, string> {
    return this.admitted.admission ? renderRateLimitHeaders(this.admitted.admission) : {};
  }

  /** Runs a whole answer and records it; a failure is recorded, then thrown on. */
  async complete(call: UpstreamCall, answer: () => Promise<CompletedMessage>): Promise<CompletedMessage["message"]> {
    const { message, usage } = await answer().catch((error: unknown) => this.failed(call, error));
    await this.finish(call, { usage, status: 200, errorType: null });
    return message;
  }

  /**
   * Opens a streamed answer; a failure to open is recorded like a failed answer. The stream returned
   * times its first content delta, and records its outcome when its chunks end, however they end,
   * before its consumer sees the end: a body that has closed has its usage recorded.
   */
  async stream(call: UpstreamCall, open: () => Promise<UpstreamStream>): Promise<UpstreamStream> {
    const stream = await open().catch((error: unknown) => this.failed(call, error));
    return { ...stream, chunks: this.tracked(call, stream) };
  }

  private async *tracked(call: UpstreamCall, stream: UpstreamStream): AsyncGenerator<StreamChunk> {
    let error: ApiError | undefined;
    this.parts.observer?.streamStarted();
    try {
      for await (const chunk of stream.chunks) {
        if (chunk.type === "content_block_delta") this.firstTokenMs ??= performance.now() - this.started;
        yield chunk;
      }
    } catch (thrown) {
      error = toApiError(thrown);
      throw thrown;
    } finally {
      this.parts.observer?.streamEnded();
      // Logged, not thrown: a record that could not be made must not end the client's answer in an error.
      await this.finish(call, outcome(call, stream.usage(), error)).catch((failure: unknown) => this.parts.log.error("could not finish the request", { error: failure }));
    }
  }

  /** A request that failed before its answer began is still recorded, with its error and no tokens. */
  private async failed(call: UpstreamCall, error: unknown): Promise<never> {
    await this.finish(call, outcome(call, emptyUsage(), toApiError(error)));
    throw error;
  }

  /**
   * Ends the upstream call, settles the reservations and records usage and cost; the store adds the
   * cost to the key's month spend with the record. Only what the next request depends on is awaited:
   * a budgeted key's costly record, so the request after the one that crosses the budget is refused
   * on every replica. The refund of unused tokens and every other record (through the batch writer)
   * may land a moment later.
   */
  private async finish(call: UpstreamCall, outcome: Outcome): Promise<void> {
    call.end();
    if (this.finished) return;
    this.finished = true;
    const { admission, hold, model } = this.admitted;
    const used = outcome.usage.input_tokens + outcome.usage.cache_creation_input_tokens + outcome.usage.output_tokens;
    if (admission?.admitted) this.parts.limiter.settle(admission.reservation, used).catch((error: unknown) => this.parts.log.warn("could not settle tokens", { error }));
    let cost = 0;
    try {
      // The tier that served the request: the key's, or `default` after Bedrock refused it.
      cost = await this.parts.prices.cost(model.modelId, outcome.usage, call.serviceTier);
      await this.record(outcome, call.serviceTier, cost);
    } finally {
      // After the record: its cost counts in the spend before the hold that stood for it goes.
      if (hold) this.parts.budgets.settle(hold, cost);
    }
  }

  private async record(outcome: Outcome, servedTier: ServiceTier, cost: number): Promise<void> {
    const { keyId, model, requestId, hold } = this.admitted;
    const record: UsageRecordInput = {
      request_id: requestId,
      key_id: keyId,
      created_at: this.parts.now().toISOString(),
      requested_model: model.requested,
      resolved_model: model.modelId,
      input_tokens: outcome.usage.input_tokens,
      output_tokens: outcome.usage.output_tokens,
      cache_read_input_tokens: outcome.usage.cache_read_input_tokens,
      cache_creation_input_tokens: outcome.usage.cache_creation_input_tokens,
      service_tier: servedTier,
      time_to_first_token_ms: this.firstTokenMs,
      latency_ms: performance.now() - this.started,
      status: outcome.status,
      error_type: outcome.errorType,
      cost_usd: cost,
    };
    this.parts.observer?.finished(record);
    // One record the store refuses would hold up every batch behind it: check it here, once.
    const checked = checkUsageRecord(record);
    if (!checked.success) {
      this.parts.log.error("usage record not storable; dropped", { request_id: requestId, issues: checked.error.issues });
      return;
    }
    // A budgeted key's (the one that holds) costly record is written at once, for the next budget
    // check; a record without cost adds no spend, so that check does not wait for it.
    if (hold && cost > 0) await this.writeNow(checked.data);
    else this.parts.usage.push(checked.data);
  }

  /**
   * Writes one record past the batch writer, for the budget check that reads its spend. A failure,
   * or a store known to be out, leaves it to the batch writer, which retries until it lands (once:
   * the write is idempotent by request id); the outage itself is logged once, by StoreOutage.
   */
  private async writeNow(record: UsageRecordInput): Promise<void> {
    const { outage, store, usage } = this.parts;
    if (!outage.mayCall()) return usage.push(record);
    await outage.watch(store.writeUsage([record])).catch(() => usage.push(record));
  }
}

/** How an answer ended. A client that leaves makes the upstream call fail too: the leaving is what happened. */
function outcome(call: UpstreamCall, usage: Usage, error: ApiError | undefined): Outcome {
  if (call.clientLeft) return { usage, status: clientClosedStatus, errorType: "client_closed" };
  return error ? { usage, status: error.status, errorType: error.type } : { usage, status: 200, errorType: null };
}
