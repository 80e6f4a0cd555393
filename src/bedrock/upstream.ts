import { ApiError } from "../anthropic/errors.ts";
import type { Usage } from "../anthropic/messages.ts";
import type { Logger } from "../../lib/log.ts";
import { failSpan, inSpan, openSpan, type Span, SpanKind, tracingOn, withinSpan } from "../../lib/tracing.ts";
import type { ServiceTier } from "./service-tier.ts";
import { bedrockErrorName, fromBedrockError } from "./errors.ts";
import type { PreparedRequest } from "./prepare.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";

/**
 * The seam between the HTTP layer and Bedrock: one implementation per upstream path
 * (native InvokeModel for Claude, Converse for everything else), chosen on the resolved model.
 */

/** One SSE event ready to send: its name and its JSON text. */
export interface StreamChunk {
  type: string;
  data: string;
}

export interface UpstreamStream {
  /** Every event of the answer, the first one included. Throws an ApiError on an upstream fault. */
  chunks: AsyncIterable<StreamChunk>;
  /** Usage as known so far; final once `chunks` is exhausted. */
  usage(): Usage;
}

export interface CompletedMessage {
  /** The Anthropic Message to send as is. */
  message: { usage: Usage } & Record<string, unknown>;
  usage: Usage;
}

export interface Upstream {
  complete(prepared: PreparedRequest, call: UpstreamCall): Promise<CompletedMessage>;
  /** Resolves once the first upstream event has arrived, so that failures before it can be retried. */
  stream(prepared: PreparedRequest, call: UpstreamCall): Promise<UpstreamStream>;
  /** Bedrock's count of the prompt /messages would send, or undefined where the model does not serve CountTokens. */
  countTokens(prepared: PreparedRequest, call: UpstreamCall): Promise<number | undefined>;
}

export interface UpstreamTimeouts {
  firstByteMs: number;
  totalMs: number;
}

type AbortCause = "client" | "first_byte" | "total";

/** Told of each attempt (metrics): its time to the first byte, and the error name when it failed. */
export interface UpstreamObserver {
  upstreamAttempt(ms: number, error: string | undefined): void;
  upstreamRetry(error: string): void;
}

/**
 * One client request's upstream work: one abort signal that ends it (client gone, first-byte or
 * total timeout), and the retry window before the first byte. A first-byte timeout may end the
 * whole call: it is never retried. `end()` releases the timers once the answer is over.
 */
export class UpstreamCall {
  readonly messageId: string;
  readonly log: Logger;
  /** The Bedrock service tier to ask for; `default` once Bedrock has refused the key's own tier. */
  serviceTier: ServiceTier;
  private readonly controller = new AbortController();
  private cause: AbortCause | undefined;
  private readonly totalTimer: ReturnType<typeof setTimeout>;
  private firstByteTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly observer: UpstreamObserver | undefined;

  constructor(
    clientSignal: AbortSignal,
    private readonly timeouts: UpstreamTimeouts,
    private readonly retry: RetryPolicy,
    context: { messageId: string; log: Logger; serviceTier: ServiceTier; observer?: UpstreamObserver | undefined },
  ) {
    this.messageId = context.messageId;
    this.observer = context.observer;
    this.log = context.log;
    this.serviceTier = context.serviceTier;
    if (clientSignal.aborted) this.abort("client");
    else clientSignal.addEventListener("abort", () => this.abort("client"), { once: true });
    this.totalTimer = setTimeout(() => this.abort("total"), timeouts.totalMs);
  }

  /** The tier as Bedrock's requests name it; omitted for `default`, Bedrock's own default. */
  get requestedTier(): Exclude<ServiceTier, "default"> | undefined {
    return this.serviceTier === "default" ? undefined : this.serviceTier;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the call ended because the client left (whatever error that made the call throw). */
  get clientLeft(): boolean {
    return this.cause === "client";
  }

  abort(cause: AbortCause = "client"): void {
    if (this.cause) return;
    this.cause = cause;
    this.controller.abort();
    this.end();
  }

  end(): void {
    clearTimeout(this.totalTimer);
    clearTimeout(this.firstByteTimer);
  }

  /**
   * Runs `attempt` with retries; each attempt must see its first byte within the first-byte timeout.
   * When Bedrock refuses the requested service tier for the model, the call is made once more on
   * `default` (attempts read `serviceTier` each time), and the usage record says so. Traced as one
   * `bedrock.call` span, its retries and the fallback events of it.
   */
  beforeFirstByte<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // Tracing off, not even the span's attributes are made (README "Tracing": off costs a check).
    if (!tracingOn()) return this.attempts(attempt, undefined);
    return inSpan("bedrock.call", this.spanAttributes(), (span) => this.attempts(attempt, span), SpanKind.CLIENT);
  }

  private async attempts<T>(attempt: (signal: AbortSignal) => Promise<T>, span: Span | undefined): Promise<T> {
    const once = async () => {
      this.firstByteTimer = setTimeout(() => this.abort("first_byte"), this.timeouts.firstByteMs);
      const started = performance.now();
      try {
        const answered = await attempt(this.signal);
        this.observer?.upstreamAttempt(performance.now() - started, undefined);
        return answered;
      } catch (error) {
        const failure = this.toApiError(error);
        this.observer?.upstreamAttempt(performance.now() - started, bedrockErrorName(failure));
        throw failure;
      } finally {
        clearTimeout(this.firstByteTimer);
      }
    };
    const retried = () =>
      withRetry(once, this.retry, this.signal, (error, n) => {
        this.observer?.upstreamRetry(bedrockErrorName(error));
        this.log.warn("retrying Bedrock call", { attempt: n, error: error.message, type: error.type });
        span?.addEvent("retry", { attempt: n, "error.type": error.type, "error.message": error.message });
      });
    try {
      return await retried();
    } catch (error) {
      if (!(error instanceof ApiError) || this.serviceTier === "default" || !refusesTier(error)) throw error;
      this.log.info("service tier refused by Bedrock; falling back to default", { tier: this.serviceTier, message: error.message });
      this.serviceTier = "default";
      span?.addEvent("service_tier_fallback", { "bedrock.service_tier": "default" });
      return retried();
    }
  }

  /**
   * Opens an upstream event stream inside the retry window: the call counts as answered only once
   * its first event has arrived. Later failures surface through `guard`. Its `bedrock.call` span
   * lasts until the stream ends.
   */
  async openStream<T>(send: (signal: AbortSignal) => Promise<AsyncIterable<T> | undefined>): Promise<AsyncIterable<T>> {
    const open = async (signal: AbortSignal) => {
      const stream = await send(signal);
      if (!stream) throw new Error("Bedrock returned no stream body");
      const events = stream[Symbol.asyncIterator]();
      return { events, first: await events.next() };
    };
    const span = tracingOn() ? openSpan("bedrock.call", this.spanAttributes(), SpanKind.CLIENT) : undefined;
    if (!span) {
      const opened = await this.attempts(open, undefined);
      return rest(opened.first, opened.events);
    }
    try {
      const opened = await withinSpan(span, () => this.attempts(open, span));
      return spanned(rest(opened.first, opened.events), span);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private spanAttributes() {
    return { "gen_ai.system": "aws.bedrock", "bedrock.service_tier": this.serviceTier, "message.id": this.messageId };
  }

  /** The stream the client gets: whatever fails while it runs (upstream or conversion) as an ApiError. */
  async *guard<T>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* chunks;
    } catch (error) {
      throw this.toApiError(error);
    }
  }

  /** An upstream failure as an ApiError; our own timeouts are told apart from Bedrock's faults. */
  toApiError(error: unknown): ApiError {
    if (this.cause === "first_byte") return new ApiError("timeout_error", `Bedrock sent no response within ${this.timeouts.firstByteMs} ms`, { cause: error });
    if (this.cause === "total") return new ApiError("timeout_error", `The request took longer than ${this.timeouts.totalMs} ms`, { cause: error });
    return fromBedrockError(error);
  }
}

/** The iterator's items again, its first one already read. */
export async function* rest<T>(first: IteratorResult<T>, events: AsyncIterator<T>): AsyncGenerator<T> {
  for (let next = first; !next.done; next = await events.next()) yield next.value;
}

/** The events, `span` ended with them, however they end (a failure marks it). */
async function* spanned<T>(events: AsyncIterable<T>, span: Span): AsyncGenerator<T> {
  let failure: unknown;
  try {
    yield* events;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    endSpan(span, failure);
  }
}

function endSpan(span: Span, error: unknown): void {
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** Bedrock's ValidationException when a model does not offer the requested tier. */
function refusesTier(error: ApiError): boolean {
  return error.type === "invalid_request_error" && /service tier/i.test(error.message);
}
