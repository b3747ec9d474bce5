const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One series: requests of one method, route template and status. */
export class HttpSeries {
  count = 0;
  sum = 0;
  /** Per bucket (not cumulative); the last slot counts what exceeds every bound. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);

  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
  ) {}

  record(seconds: number): void {
    this.count += 1;
    this.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i += 1;
    this.buckets[i] = (this.buckets[i] as number) + 1;
  }
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/**
 * The request counter and latency histogram, kept as plain numbers and rendered in the Prometheus
 * text format at scrape time. Recording is on every request's path, where prom-client's label
 * hashing and validation would cost more than the rest of a cached read; a series is found once
 * and then only incremented.
 */
export class HttpStats {
  private readonly series = new Map<string, HttpSeries>();

  seriesFor(method: string, route: string, status: number): HttpSeries {
    const key = `${method} ${status} ${route}`;
    let found = this.series.get(key);
    if (!found) {
      found = new HttpSeries(method, route, status);
      this.series.set(key, found);
    }
    return found;
  }

  render(): string {
    const counts = [
      "# HELP symbiont_http_requests_total HTTP requests answered, by method, route template and status",
      "# TYPE symbiont_http_requests_total counter",
    ];
    const latency = [
      "# HELP symbiont_http_request_duration_seconds Time from a request's arrival to its answer, by method, route template and status",
      "# TYPE symbiont_http_request_duration_seconds histogram",
    ];
    for (const s of this.series.values()) {
      const labels = `method="${escapeLabel(s.method)}",route="${escapeLabel(s.route)}",status="${s.status}"`;
      counts.push(`symbiont_http_requests_total{${labels}} ${s.count}`);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, i) => {
        cumulative += s.buckets[i] as number;
        latency.push(`symbiont_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`);
      });
      latency.push(`symbiont_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      latency.push(`symbiont_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      latency.push(`symbiont_http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    return `${counts.join("\n")}\n${latency.join("\n")}\n`;
  }
}
