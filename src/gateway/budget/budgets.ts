import { ApiError } from "../../anthropic/errors.ts";
import type { ApiKey } from "../keys/api-key.ts";
import type { UsageStore } from "../usage/usage-record.ts";
import { utcMonth } from "../values.ts";
import { type StoreOutage, storeUnavailable } from "../store-outage.ts";

export interface BudgetOptions {
  store: UsageStore;
  outage: StoreOutage;
  now: () => Date;
  /** How long the month spend last read stands in for the store while it cannot be read. */
  graceMs: number;
}

/** What one running request holds against its key's budget until it ends. */
export interface BudgetHold {
  keyId: string;
  usd: number;
}

interface KnownSpend {
  month: string;
  usd: number;
  /** When the store last answered for it (the gateway's clock). */
  readAt: number;
}

/** What a client waits for when its key's budget is held by its own running requests. */
const heldRetryAfterSeconds = 1;
/** Entries kept before the table starts over (one per budgeted key this replica serves). */
const maxKeys = 10_000;

/**
 * Monthly budgets. A request is admitted only while the key's month spend plus what this replica's
 * running requests of the key hold stays under the budget, and holds its worst-case cost (its input
 * estimate and `max_tokens` at the model's prices) until it ends; then its real cost joins the spend.
 * So concurrent requests cannot all pass on the same old spend: a replica overshoots a budget by at
 * most one request's worst case (the one admitted just under it), and replicas by one each.
 *
 * The spend is read from the store on every request and only grows within a month, so this replica
 * keeps the largest figure it has seen plus the cost of what it served since. While the store cannot
 * be read, that figure serves for `graceMs` after the last read; a key with no figure that recent is
 * refused with 529 `overloaded_error` (fail closed: its spend may be anything).
 */
export class Budgets {
  private readonly spend = new Map<string, KnownSpend>();
  private readonly held = new Map<string, number>();

  constructor(private readonly options: BudgetOptions) {}

  /** Reads the key's month spend and refuses a key at or over its budget. */
  async check(key: ApiKey): Promise<void> {
    const budget = key.monthly_budget_usd;
    if (budget === null) return;
    const now = this.options.now();
    const spent = await this.monthSpend(key.id, utcMonth(now), now.getTime());
    if (spent >= budget) throw overBudget(budget, spent, now);
  }

  /**
   * Holds `worstUsd` against the key's budget, with the spend `check` read just before; refused when
   * the spend and the holds already reach the budget. Check and hold are one synchronous step.
   */
  hold(key: ApiKey, worstUsd: number): BudgetHold | undefined {
    const budget = key.monthly_budget_usd;
    if (budget === null) return undefined;
    const now = this.options.now();
    const spent = this.known(key.id, utcMonth(now))?.usd ?? 0;
    if (spent >= budget) throw overBudget(budget, spent, now);
    const held = this.held.get(key.id) ?? 0;
    if (spent + held >= budget) {
      throw new BudgetRefusal(
        "rate_limit_error",
        `This API key's monthly budget of $${budget} is taken up by its spend ($${spent.toFixed(4)}) and its requests still running on this replica; retry when they end`,
        { retryAfterSeconds: heldRetryAfterSeconds },
      );
    }
    this.held.set(key.id, held + worstUsd);
    return { keyId: key.id, usd: worstUsd };
  }

  /** The request ended and its record was written: its cost joins the known spend, its hold is given back. */
  settle(hold: BudgetHold, costUsd: number): void {
    const known = this.known(hold.keyId, utcMonth(this.options.now()));
    if (known) known.usd += costUsd;
    const left = (this.held.get(hold.keyId) ?? 0) - hold.usd;
    // Sums of floating-point holds do not come back to exactly 0.
    if (left > 1e-12) this.held.set(hold.keyId, left);
    else this.held.delete(hold.keyId);
  }

  private async monthSpend(keyId: string, month: string, now: number): Promise<number> {
    if (this.options.outage.mayCall()) {
      try {
        const read = await this.options.outage.watch(this.options.store.getMonthSpend(keyId, month));
        // A read that began before this replica's last cost landed may miss it: spend never shrinks.
        const usd = Math.max(read, this.known(keyId, month)?.usd ?? 0);
        if (this.spend.size >= maxKeys) this.spend.clear();
        this.spend.set(keyId, { month, usd, readAt: now });
        return usd;
      } catch {
        // StoreOutage logs the outage once; the figure last read serves below.
      }
    }
    const known = this.known(keyId, month);
    if (known && now - known.readAt <= this.options.graceMs) return known.usd;
    throw storeUnavailable("this key's budget cannot be checked");
  }

  private known(keyId: string, month: string): KnownSpend | undefined {
    const known = this.spend.get(keyId);
    return known?.month === month ? known : undefined;
  }
}

/** A request refused by its key's budget (told apart from a store that cannot say: that is a 529). */
export class BudgetRefusal extends ApiError {}

function overBudget(budget: number, spent: number, now: Date): ApiError {
  return new BudgetRefusal(
    "permission_error",
    `This API key has reached its monthly budget of $${budget} (spent $${spent.toFixed(4)} in ${utcMonth(now)}); it works again at ${nextMonthStart(now)}`,
  );
}

function nextMonthStart(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
}
