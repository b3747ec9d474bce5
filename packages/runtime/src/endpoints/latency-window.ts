/** Latencies of the last `capacity` requests, for percentiles that follow recent behaviour. */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(capacity = 1024) {
    this.samples = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.samples.length;
    this.filled = Math.min(this.filled + 1, this.samples.length);
  }

  /** Nearest-rank percentile (0 < p <= 100); 0 before the first sample. */
  percentile(p: number): number {
    if (this.filled === 0) return 0;
    const sorted = this.samples.slice(0, this.filled).sort();
    const rank = Math.max(1, Math.ceil((p / 100) * this.filled));
    return sorted[rank - 1] as number;
  }
}

/** Requests in the last minute, counted in one-second buckets. */
export class MinuteCounter {
  private readonly buckets = new Uint32Array(60);
  private readonly bucketSecond = new Float64Array(60);

  add(now: number): void {
    const second = Math.floor(now / 1000);
    const index = second % 60;
    if (this.bucketSecond[index] !== second) {
      this.bucketSecond[index] = second;
      this.buckets[index] = 0;
    }
    this.buckets[index] = (this.buckets[index] as number) + 1;
  }

  count(now: number): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < 60; i++) {
      if (second - (this.bucketSecond[i] as number) < 60) total += this.buckets[i] as number;
    }
    return total;
  }
}
