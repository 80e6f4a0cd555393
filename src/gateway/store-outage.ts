import { ApiError } from "../anthropic/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { Outage } from "../outage.ts";

/** While the store is known to be out, one call in this long may try it (the others use what they know). */
const probeIntervalMs = 1_000;
/** What a client that cannot be served without the store is told to wait. */
const retryAfterSeconds = 5;

/**
 * Whether the store answers, as this replica sees it, so that an outage is one event and not one
 * failure per request: the first failure logs "store unavailable" once, the first answer after it
 * logs "store back after N s" once. While it is out, callers that can do without it ask `mayCall()`:
 * one call a second probes the store, the others go on with the spend, prices and keys last read,
 * so no request waits on the SDK's retries against a store known to be down.
 */
export class StoreOutage {
  private readonly outage: Outage;
  private lastProbe = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.outage = new Outage(now);
  }

  /** Whether a caller with a fallback should call the store now. */
  mayCall(): boolean {
    if (!this.outage.ongoing) return true;
    const now = this.now();
    if (now - this.lastProbe < probeIntervalMs) return false;
    this.lastProbe = now;
    return true;
  }

  /** A store call, its outcome noted. */
  async watch<T>(call: Promise<T>): Promise<T> {
    try {
      const value = await call;
      this.answered();
      return value;
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  private answered(): void {
    const ended = this.outage.answered();
    if (!ended) return;
    const seconds = Math.round(ended.ms / 100) / 10;
    this.log.info(`store back after ${seconds} s`, { outage_s: seconds });
  }

  private failed(error: unknown): void {
    if (!this.outage.failed()) return;
    this.lastProbe = this.now();
    this.log.warn("store unavailable: serving from the spend, prices and keys last read", { error });
  }
}

/** A request that needs what only the store knows, while it cannot be read: retry shortly, as on any overload. */
export function storeUnavailable(what: string): ApiError {
  return new ApiError("overloaded_error", `The gateway's store cannot be read, so ${what}; retry shortly`, { retryAfterSeconds });
}
