import type { EndpointMetrics } from "@symbiont/protocol";
import { Counter, Histogram, type Registry } from "prom-client";
import { LatencyWindow, MinuteCounter } from "./latency-window.js";

interface Tally {
  total: number;
  failed: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  lastAt: number | null;
  latencies: LatencyWindow;
  minute: MinuteCounter;
}

const newTally = (): Tally => ({
  total: 0,
  failed: 0,
  sumMs: 0,
  minMs: Number.POSITIVE_INFINITY,
  maxMs: 0,
  lastAt: null,
  latencies: new LatencyWindow(),
  minute: new MinuteCounter(),
});

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Per-endpoint request figures of this node: the contract's JSON metrics, and Prometheus series
 * (labelled by endpoint id, which the operator creates, so the label set stays small).
 */
export class EndpointStats {
  private readonly tallies = new Map<string, Tally>();
  private readonly requests: Counter<"endpoint_id" | "outcome"> | undefined;
  private readonly duration: Histogram<"endpoint_id"> | undefined;

  constructor(
    registry: Registry | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (!registry) return;
    this.requests = new Counter({
      name: "symbiont_endpoint_requests_total",
      help: "Requests to dynamic endpoints (/hooks), by endpoint and outcome (success, error)",
      labelNames: ["endpoint_id", "outcome"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "symbiont_endpoint_request_duration_seconds",
      help: "Time to answer a dynamic endpoint request, including the agent run it waited for",
      labelNames: ["endpoint_id"],
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  record(endpointId: string, ms: number, failed: boolean): void {
    let tally = this.tallies.get(endpointId);
    if (!tally) {
      tally = newTally();
      this.tallies.set(endpointId, tally);
    }
    const now = this.now();
    tally.total++;
    if (failed) tally.failed++;
    tally.sumMs += ms;
    tally.minMs = Math.min(tally.minMs, ms);
    tally.maxMs = Math.max(tally.maxMs, ms);
    tally.lastAt = now;
    tally.latencies.add(ms);
    tally.minute.add(now);
    this.requests?.inc({ endpoint_id: endpointId, outcome: failed ? "error" : "success" });
    this.duration?.observe({ endpoint_id: endpointId }, ms / 1000);
  }

  forget(endpointId: string): void {
    this.tallies.delete(endpointId);
    this.requests?.remove({ endpoint_id: endpointId, outcome: "success" });
    this.requests?.remove({ endpoint_id: endpointId, outcome: "error" });
    this.duration?.remove({ endpoint_id: endpointId });
  }

  metricsOf(endpointId: string, activeSince: string | null): EndpointMetrics {
    const tally = this.tallies.get(endpointId) ?? newTally();
    const now = this.now();
    return {
      endpoint_id: endpointId,
      total_requests: tally.total,
      successful_requests: tally.total - tally.failed,
      failed_requests: tally.failed,
      average_response_time_ms: tally.total ? round(tally.sumMs / tally.total) : 0,
      max_response_time_ms: round(tally.maxMs),
      min_response_time_ms: tally.total ? round(tally.minMs) : 0,
      requests_per_minute: tally.minute.count(now),
      error_rate_percent: tally.total ? round((tally.failed / tally.total) * 100) : 0,
      uptime_seconds: activeSince ? Math.max(0, Math.floor((now - Date.parse(activeSince)) / 1000)) : 0,
      last_request_at: tally.lastAt === null ? null : new Date(tally.lastAt).toISOString(),
      p50_response_time_ms: round(tally.latencies.percentile(50)),
      p95_response_time_ms: round(tally.latencies.percentile(95)),
      p99_response_time_ms: round(tally.latencies.percentile(99)),
    };
  }
}
