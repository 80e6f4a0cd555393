import { describe, expect, test } from "bun:test";
import { newRequestId } from "../../src/http/middleware/request-id.ts";

describe("request ids", () => {
  test("keep Anthropic's req_ prefix and base64url's characters", () => {
    expect(newRequestId()).toMatch(/^req_[A-Za-z0-9_-]{23}$/);
  });

  // The usage table is keyed by request id: ids made in order are appended to its B-tree (docs/performance.md).
  test("compare as the times they were made do, across every digit of the clock", () => {
    const times = [0, 1, 63, 64, 4095, 4096, 1_700_000_000_000, 1_700_000_000_001, Date.now(), 2 ** 42 - 1];
    const ids = times.map((time) => newRequestId(time));
    expect([...ids].sort()).toEqual(ids);
  });

  test("made in the same millisecond, still differ", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });
});
