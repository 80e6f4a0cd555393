import { describe, expect, test } from "bun:test";
import { detachedFromRequest, inSpan, injectTraceHeaders, openServerSpan, openSpan, startTracing, tracingOn } from "../../lib/tracing.ts";
import { traceCalls } from "../../src/observability/tracing.ts";

/**
 * Without OTEL_EXPORTER_OTLP_ENDPOINT tracing is off and free: no tracer, no span, no wrapper, the
 * work called as it is. (test/e2e/tracing.test.ts shows a proxy without it exports nothing.)
 */
describe("tracing off", () => {
  test("no endpoint, no tracing", () => {
    expect(startTracing({ endpoint: undefined, serviceName: "x" })).toBeUndefined();
    expect(tracingOn()).toBe(false);
  });

  test("spans are not made: the work runs without one", async () => {
    expect(await inSpan("x", {}, async (span) => span)).toBeUndefined();
    expect(openSpan("x", {})).toBeUndefined();
    expect(openServerSpan("x", {}, () => "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toBeUndefined();
    expect(detachedFromRequest(() => 7)).toBe(7);
  });

  test("nothing is wrapped and no header is added", () => {
    const store = { write: async () => 1 };
    expect(traceCalls(store, { write: "store.write" }, {})).toBe(store);
    const headers = { authorization: "Bearer t" };
    injectTraceHeaders(headers);
    expect(headers).toEqual({ authorization: "Bearer t" });
  });
});
