/**
 * OpenTelemetry tracing, shared by the proxy and the sandbox service: the tracer set up from each
 * service's configuration, spans around the work worth timing, and the W3C `traceparent` header that
 * carries a trace from one service into the other.
 *
 * Off (no OTLP endpoint), every helper here is a check of one variable and a direct call: no span,
 * no context, nothing allocated for tracing. On, spans go to `<endpoint>/v1/traces` as OTLP/HTTP JSON,
 * in batches, and the active span travels through async code by AsyncLocalStorage (Bun keeps it
 * across awaits, async generators driven from a context, and the pulls of a response body).
 */
import { type Attributes, type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export { type Attributes, type Span, SpanKind, SpanStatusCode };

export interface TracingSettings {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; undefined, tracing is off. */
  endpoint: string | undefined;
  /** OTEL_SERVICE_NAME: the `service.name` every span carries. */
  serviceName: string;
}

export interface Tracing {
  /** Exports the spans still buffered, then turns tracing off. */
  shutdown(): Promise<void>;
}

/** The tracer while tracing is on; undefined is the one check every helper makes. */
let tracer: Tracer | undefined;

/**
 * Turns tracing on for this process when an endpoint is configured; undefined when it is not. One
 * tracer a process: the context manager and propagator it sets are the process's.
 */
export function startTracing(settings: TracingSettings): Tracing | undefined {
  if (!settings.endpoint) return undefined;
  if (tracer) throw new Error("tracing is already on in this process: one service a process traces");
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, "")}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  tracer = provider.getTracer(settings.serviceName);
  return {
    async shutdown() {
      tracer = undefined;
      await provider.shutdown();
      context.disable();
      propagation.disable();
    },
  };
}

export function tracingOn(): boolean {
  return tracer !== undefined;
}

/**
 * Runs `work` in a span (its child spans nest under it); a throw marks the span failed and goes on.
 * Off, `work` runs as it is, given no span.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span | undefined) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!tracer) return work(undefined);
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span its caller ends (one that outlives the call that opens it, like a stream's); undefined when off. */
export function openSpan(name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL, parent?: Context): Span | undefined {
  return tracer?.startSpan(name, { kind, attributes }, parent);
}

/** Runs `work` with `span` as the active span, so what it starts nests under it. */
export function withinSpan<T>(span: Span | undefined, work: () => T): T {
  if (!span) return work();
  return context.with(trace.setSpan(context.active(), span), work);
}

/** Marks a span failed with what was thrown (the exception is recorded as an event). */
export function failSpan(span: Span | undefined, error: unknown): void {
  if (!span) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `work` outside any request's trace: background work (batch writes) started from a request's timer gets a trace of its own. */
export function detachedFromRequest<T>(work: () => T): T {
  if (!tracer) return work();
  return context.with(ROOT_CONTEXT, work);
}

/** The active span, for attributes learnt along the way; undefined when off or outside any span. */
export function activeSpan(): Span | undefined {
  return tracer && trace.getActiveSpan();
}

/** Adds the active trace's `traceparent` (and `tracestate`) to an outgoing request's headers. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  if (tracer) propagation.inject(context.active(), headers);
}

/**
 * The server span of an incoming request, a child of the caller's trace when its headers carry a
 * `traceparent`; undefined when off.
 */
export function openServerSpan(name: string, attributes: Attributes, header: (name: string) => string | undefined): Span | undefined {
  if (!tracer) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, header, { get: (read, key) => read(key), keys: () => [] });
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

/** A response whose body ends `span` when it is fully sent or cancelled: a streamed answer's span lasts as long as its stream. */
export function endWithBody(response: Response, span: Span): Response {
  const body = response.body;
  if (!body) {
    span.end();
    return response;
  }
  const reader = body.getReader();
  const wrapped = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        span.end();
        controller.close();
      } catch (error) {
        failSpan(span, error);
        span.end();
        controller.error(error);
      }
    },
    cancel(reason) {
      span.addEvent("client_closed");
      span.end();
      return reader.cancel(reason);
    },
  });
  return new Response(wrapped, response);
}
