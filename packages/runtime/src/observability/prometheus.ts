import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { HttpStats } from "./http-stats.js";
import { RetrievalMetrics } from "./retrieval-metrics.js";
import { RunMetrics } from "./run-metrics.js";

/**
 * The runtime's Prometheus metrics, in a registry of its own (several runtimes may share a process
 * in tests); the per-request ones live in HttpStats, which is cheaper on the hot path.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly http = new HttpStats();
  readonly runs: RunMetrics;
  readonly retrieval: RetrievalMetrics;
  private readonly authFailures: Counter<"reason">;
  private readonly rateLimited: Counter<"budget">;

  constructor(agentCounts: () => Promise<Record<string, number>>) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.runs = new RunMetrics(this.registry);
    this.retrieval = new RetrievalMetrics(this.registry);
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
    this.http.seriesFor(method, route, status).record(seconds);
  }

  recordAuthFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  recordRateLimited(budget: string): void {
    this.rateLimited.inc({ budget });
  }

  async exposition(): Promise<string> {
    return `${this.http.render()}${await this.registry.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
