/**
 * The proxy's side of tracing (lib/tracing.ts holds what it shares with the sandbox service): the
 * tracer from the configuration, and spans around a store's writes.
 */
import { type Attributes, inSpan, SpanKind, startTracing, type Tracing, tracingOn } from "../../lib/tracing.ts";

export function startProxyTracing(config: { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; OTEL_SERVICE_NAME: string }): Tracing | undefined {
  return startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME });
}

type Method = (...args: unknown[]) => unknown;

/**
 * `target` with a span around every call of the methods `spans` names (method → span name), with
 * `attributes`, and the size of a batch (a first argument that is an array) as `store.records`.
 * Tracing off, `target` itself: nothing wraps it.
 */
export function traceCalls<T extends object>(target: T, spans: Partial<Record<keyof T & string, string>>, attributes: Attributes): T {
  if (!tracingOn()) return target;
  const names: Partial<Record<string, string>> = spans;
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      const method = value as Method;
      const name = typeof property === "string" ? names[property] : undefined;
      // Bound to the object itself: its methods may read private (#) fields, which a Proxy receiver has not.
      if (name === undefined) return method.bind(object);
      return (...args: unknown[]) => {
        const batch = Array.isArray(args[0]) ? { "store.records": args[0].length } : {};
        return inSpan(name, { ...attributes, ...batch }, async () => method.apply(object, args), SpanKind.CLIENT);
      };
    },
  });
}
