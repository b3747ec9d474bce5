import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { FastifyReply, FastifyRequest } from "fastify";

export interface TracingSettings {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces */
  endpoint: string;
  /** Share of new traces kept (0-1); a sampled parent is always followed. */
  sampleRatio: number;
  serviceVersion: string;
}

const headerGetter: TextMapGetter<FastifyRequest["headers"]> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/**
 * OpenTelemetry spans for requests (and, through `tracer`, for the work they start), exported over
 * OTLP. A request's span continues the caller's trace when it sends a W3C `traceparent`. Spans carry
 * the route template, path, status and request id: never headers, bodies or query strings, which
 * is where credentials travel.
 */
export class Tracing {
  private readonly spans = new WeakMap<FastifyRequest, Span>();

  constructor(
    readonly tracer: Tracer,
    private readonly extract: (carrier: FastifyRequest["headers"]) => Context,
    private readonly shutdownProvider: () => Promise<void>,
  ) {}

  startRequest(request: FastifyRequest): void {
    const route = request.routeOptions.url ?? "unmatched";
    const span = this.tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": request.method,
          "http.route": route,
          "url.path": request.url.split("?")[0] ?? "/",
          "client.address": request.ip,
          "symbiont.request_id": request.id,
        },
      },
      this.extract(request.headers),
    );
    this.spans.set(request, span);
  }

  endRequest(request: FastifyRequest, reply: FastifyReply, error?: unknown): void {
    const span = this.spans.get(request);
    if (!span) return;
    this.spans.delete(request);
    span.setAttribute("http.response.status_code", reply.statusCode);
    if (reply.statusCode >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.name ?? "server error" });
    }
    span.end();
  }

  /** The W3C traceparent of a request's span, for work it starts to join the request's trace. */
  traceparentOf(request: FastifyRequest): string | undefined {
    const context = this.spans.get(request)?.spanContext();
    if (!context || !trace.isSpanContextValid(context)) return undefined;
    return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, "0")}`;
  }

  /** Exports what is buffered and stops. */
  shutdown(): Promise<void> {
    return this.shutdownProvider();
  }
}

/** Loads the OpenTelemetry SDK (only when tracing is configured) and starts exporting. */
export async function openTracing(settings: TracingSettings): Promise<Tracing> {
  const [
    { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler },
    otlp,
    core,
    resources,
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": "symbiont",
      "service.version": settings.serviceVersion,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new otlp.OTLPTraceExporter({ url: settings.endpoint }))],
  });
  const propagator = new core.W3CTraceContextPropagator();
  return new Tracing(
    provider.getTracer("symbiont", settings.serviceVersion),
    (carrier) => propagator.extract(ROOT_CONTEXT, carrier, headerGetter),
    () => provider.shutdown(),
  );
}
