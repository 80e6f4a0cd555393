import { describe, expect, test } from "bun:test";
import { checkUsageRecord, storableUsageRecord } from "../../src/gateway/usage/usage-record.ts";
import { usageRecord } from "../support/usage-record.ts";

/** A record is checked once per request (by the ticket); the store parses only what was not checked. */
describe("usage record check", () => {
  test("a checked record is frozen and taken by the store as it is, not parsed again", () => {
    const checked = checkUsageRecord(usageRecord("r1", { cost_usd: 0.123456789012345 }));
    if (!checked.success) throw checked.error;
    expect(Object.isFrozen(checked.data)).toBe(true);
    expect(checked.data.cost_usd).toBe(0.1234567890);
    expect(storableUsageRecord(checked.data)).toBe(checked.data);
  });

  test("a record that was not checked is parsed by the store: a copy, rounded, or refused", () => {
    const input = usageRecord("r2", { cost_usd: 0.123456789012345 });
    const stored = storableUsageRecord(input);
    expect(stored).not.toBe(input);
    expect(stored.cost_usd).toBe(0.1234567890);
    expect(() => storableUsageRecord(usageRecord("r3", { input_tokens: -1 }))).toThrow();
  });

  test("an equal record that is not the checked object is parsed", () => {
    const checked = checkUsageRecord(usageRecord("r4"));
    if (!checked.success) throw checked.error;
    const copy = { ...checked.data };
    expect(storableUsageRecord(copy)).not.toBe(copy);
  });
});
