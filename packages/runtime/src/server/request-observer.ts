import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { HttpSeries } from "../observability/http-stats.js";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import type { Tracing } from "../observability/tracing.js";
import { logRequest } from "./logging.js";

/** Where an answered request is reported: its log line, and its metrics when Prometheus is on. */
export interface RequestObserver {
  readonly log: Logger;
  readonly metrics: PrometheusMetrics | undefined;
  readonly tracing: Tracing | undefined;
}

/** Called once per request by whoever sends its answer (the route binding or the error handler). */
export function finishRequest(
  observer: RequestObserver,
  request: FastifyRequest,
  reply: FastifyReply,
  error?: unknown,
  /** The request's metrics series when the caller knows it already (a route's success answer). */
  series?: HttpSeries,
): void {
  logRequest(observer.log, request, reply, error);
  const seconds = reply.elapsedTime / 1000;
  if (series) series.record(seconds);
  else
    observer.metrics?.recordHttp(
      request.method,
      // The route template: a 404 has none, and raw URLs would make a series per id.
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      seconds,
    );
  observer.tracing?.endRequest(request, reply, error);
}
