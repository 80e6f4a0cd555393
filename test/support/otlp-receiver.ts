import { loopback } from "./service-process.ts";

/** One span as an OTLP/HTTP JSON export carries it (ids in hex), with its service's name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** Nanoseconds since the epoch. */
  start: bigint;
  end: bigint;
  attributes: Record<string, string | number | boolean>;
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  status: { code?: number; message?: string };
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttribute[];
  events?: { name: string; attributes?: OtlpAttribute[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/**
 * An OTLP/HTTP trace receiver on a loopback port, as a collector would be (POST /v1/traces, the
 * JSON encoding @opentelemetry/exporter-trace-otlp-http sends): keeps every span it is sent.
 */
export function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: loopback,
    async fetch(request) {
      if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
      const raw = new Uint8Array(await request.arrayBuffer());
      const text = new TextDecoder().decode(request.headers.get("content-encoding") === "gzip" ? Bun.gunzipSync(raw) : raw);
      spans.push(...decode(JSON.parse(text) as OtlpExport));
      return Response.json({});
    },
  });
  return {
    endpoint: `http://${loopback}:${server.port}`,
    spans: () => spans,
    /** The spans `select` picks, once `done` holds for them (polled: exporters send in batches, every few seconds). */
    async collect(select: (span: ReceivedSpan) => boolean, done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 20_000): Promise<ReceivedSpan[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.filter(select);
        if (done(found) || Date.now() > deadline) return found;
        await Bun.sleep(100);
      }
    },
    /** The spans of one trace, once `done` holds for them. */
    trace(traceId: string, done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]> {
      return this.collect((span) => span.traceId === traceId, done, timeoutMs);
    },
    stop: () => server.stop(true),
  };
}

function decode(body: OtlpExport): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) => {
    const service = String(attributes(resource.resource?.attributes)["service.name"]);
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        name: span.name,
        kind: span.kind,
        start: BigInt(span.startTimeUnixNano),
        end: BigInt(span.endTimeUnixNano),
        attributes: attributes(span.attributes),
        events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributes(event.attributes) })),
        status: span.status ?? {},
      })),
    );
  });
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? "" : Number(value.intValue))]),
  );
}
