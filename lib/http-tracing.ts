/**
 * The server span of a Hono request, for both services (lib/tracing.ts does the rest): opened as a
 * child of the caller's `traceparent`, named by the route it matched once it has, ended with the
 * answer, or with the stream of a streamed answer.
 */
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from "@opentelemetry/semantic-conventions";
import type { Context } from "hono";
import { routePath } from "hono/route";
import { type Attributes, endWithBody, openServerSpan, type Span, SpanStatusCode } from "./tracing.ts";

/** The request's server span; undefined when tracing is off. */
export function openRequestSpan(c: Context, attributes: Attributes = {}): Span | undefined {
  return openServerSpan(c.req.method, { [ATTR_HTTP_REQUEST_METHOD]: c.req.method, [ATTR_URL_PATH]: c.req.path, ...attributes }, (name) => c.req.header(name));
}

/** Names the span by its route (not its path: ids in a span's name would make every request's name its own) and ends it with the answer. */
export function closeRequestSpan(c: Context, span: Span): void {
  const route = routePath(c, -1);
  span.updateName(`${c.req.method} ${route}`);
  span.setAttributes({ [ATTR_HTTP_ROUTE]: route, [ATTR_HTTP_RESPONSE_STATUS_CODE]: c.res.status });
  if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (isEventStream(c.res)) c.res = endWithBody(c.res, span);
  else span.end();
}

export function isEventStream(response: Response): boolean {
  return response.headers.get("content-type")?.startsWith("text/event-stream") === true;
}
