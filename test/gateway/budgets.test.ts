import { describe, expect, test } from "bun:test";
import { Budgets } from "../../src/gateway/budget/budgets.ts";
import { KeyService } from "../../src/gateway/keys/service.ts";
import { StoreOutage } from "../../src/gateway/store-outage.ts";
import { createLogger } from "../../lib/log.ts";
import { createStore } from "../../src/store/create-store.ts";
import type { UsageStore } from "../../src/gateway/usage/usage-record.ts";

/** A real SQLite store whose spend reads can be made to fail, and a clock the test moves. */
async function setup(budget: number) {
  const store = await createStore({ kind: "sqlite", path: ":memory:" });
  const state = { failing: false, reads: 0 };
  const usage: UsageStore = Object.assign(Object.create(store) as UsageStore, {
    getMonthSpend: async (keyId: string, month: string) => {
      state.reads++;
      if (state.failing) throw new Error("store unavailable");
      return store.getMonthSpend(keyId, month);
    },
  });
  const clock = { now: new Date("2026-11-20T12:00:00Z"), ms: 0 };
  const lines: string[] = [];
  const outage = new StoreOutage(
    createLogger("info", {}, (line) => lines.push(line)),
    () => clock.ms,
  );
  const budgets = new Budgets({ store: usage, outage, now: () => clock.now, graceMs: 60_000 });
  const { key } = await new KeyService(store).create({ name: "k", monthly_budget_usd: budget }, { via: "cli" });
  return { store, state, clock, lines, budgets, key };
}

describe("budgets", () => {
  test("holds count against the budget until they settle; the cost then counts instead", async () => {
    const { budgets, key } = await setup(1);
    await budgets.check(key);
    const first = budgets.hold(key, 0.6);
    const second = budgets.hold(key, 0.6);
    expect(() => budgets.hold(key, 0.01)).toThrow("taken up by its spend");
    if (!first || !second) throw new Error("a budgeted key is held");
    budgets.settle(first, 0.1);
    budgets.settle(second, 0.1);
    // 0.2 spent, nothing held: room again, and a refusal only once the spend itself reaches the budget.
    expect(budgets.hold(key, 0.5)).toEqual({ keyId: key.id, usd: 0.5 });
  });

  test("spend at the budget is a 403 naming the budget; the spend read never goes back", async () => {
    const { budgets, key, store } = await setup(1);
    await budgets.check(key);
    const hold = budgets.hold(key, 2);
    if (!hold) throw new Error("a budgeted key is held");
    // The record lands in the store, then the hold settles: the next read agrees with what was added.
    await store.addMonthSpend(key.id, "2026-11", 1.5);
    budgets.settle(hold, 1.5);
    const refused = await budgets.check(key).catch((e: unknown) => e);
    expect(refused).toMatchObject({ type: "permission_error", message: expect.stringContaining("monthly budget of $1 (spent $1.5000 in 2026-11)") });
  });

  test("while the store is out the last spend serves for the grace period, then fails closed; the outage is logged once", async () => {
    const { budgets, key, state, clock, lines } = await setup(1);
    await budgets.check(key);
    state.failing = true;
    for (let i = 0; i < 20; i++) {
      clock.ms += 500;
      await budgets.check(key);
    }
    // One probe a second while it is out, not one read per request.
    expect(state.reads).toBeLessThanOrEqual(1 + 11);
    clock.now = new Date(clock.now.getTime() + 61_000);
    clock.ms += 1_000;
    expect(await budgets.check(key).catch((e: unknown) => e)).toMatchObject({ type: "overloaded_error", status: 529 });
    state.failing = false;
    clock.ms += 1_000;
    await budgets.check(key);
    const messages = lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toEqual(["store unavailable: serving from the spend, prices and keys last read", "store back after 11.5 s"]);
  });

  test("a key whose spend was never read is refused with 529 while the store is out", async () => {
    const { budgets, key, state } = await setup(1);
    state.failing = true;
    expect(await budgets.check(key).catch((e: unknown) => e)).toMatchObject({ type: "overloaded_error", status: 529, retryAfterSeconds: 5 });
  });
});
