import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Recorder = { inc(): void; observe(seconds: number): void };

/**
 * The runtime's Prometheus metrics, in a registry of its own (several runtimes may share a process
 * in tests). Hot-path recorders are bound to their labels once and kept, so recording a request is
 * two array updates rather than a label lookup.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<"method" | "route" | "status">;
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly authFailures: Counter<"reason">;
  private readonly rateLimited: Counter<"budget">;
  private readonly recorders = new Map<string, Recorder>();

  constructor(agentCounts: () => Promise<Record<string, number>>) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: "symbiont_http_requests_total",
      help: "HTTP requests answered, by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "symbiont_http_request_duration_seconds",
      help: "Time from a request's arrival to its answer, by method, route template and status",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.authFailures = new Counter({
      name: "symbiont_auth_failures_total",
      help: "Requests refused for their credential: missing, malformed, invalid, expired or revoked",
      labelNames: ["reason"],
      registers,
    });
    this.rateLimited = new Counter({
      name: "symbiont_rate_limit_rejections_total",
      help: "Requests answered 429, by the budget they exceeded (address, auth, read, write)",
      labelNames: ["budget"],
      registers,
    });
    new Gauge({
      name: "symbiont_agents",
      help: "Agents of every tenant, by state (counted at scrape time)",
      labelNames: ["state"],
      registers,
      async collect() {
        this.reset();
        for (const [state, count] of Object.entries(await agentCounts())) this.set({ state }, count);
      },
    });
  }

  /** One answered request; `route` is the route template, never the raw URL (ids would explode the series). */
  recordHttp(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let recorder = this.recorders.get(key);
    if (!recorder) {
      const labels = { method, route, status: String(status) };
      const count = this.httpRequests.labels(labels);
      const duration = this.httpDuration.labels(labels);
      recorder = { inc: () => count.inc(), observe: (s) => duration.observe(s) };
      this.recorders.set(key, recorder);
    }
    recorder.inc();
    recorder.observe(seconds);
  }

  recordAuthFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  recordRateLimited(budget: string): void {
    this.rateLimited.inc({ budget });
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
