import { createMiddleware } from "hono/factory";
import { closeRequestSpan, openRequestSpan } from "../../../lib/http-tracing.ts";
import { tracingOn, withinSpan } from "../../../lib/tracing.ts";
import type { AppEnv } from "../env.ts";

/**
 * The request's server span (a child of the caller's trace when it sends a `traceparent`), active
 * for everything the request does; a streamed answer's span ends with its stream. Every log line of
 * the request names the trace. Tracing off, it only calls on.
 */
export const traceRequest = createMiddleware<AppEnv>(async (c, next) => {
  if (!tracingOn()) return next();
  const span = openRequestSpan(c, { "request.id": c.var.requestId });
  if (!span) return next();
  c.set("log", c.var.log.child({ trace_id: span.spanContext().traceId }));
  await withinSpan(span, next);
  closeRequestSpan(c, span);
});
