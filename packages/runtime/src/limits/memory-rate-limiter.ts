import { decide, type RateDecision, type RateLimiter } from "./rate-limiter.js";

interface Window {
  start: number;
  count: number;
}

/** Counters in this process: right for one node; several nodes need the shared (Redis) limiter. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    sweepEveryMs = 60_000,
  ) {
    // Windows of keys that went quiet would otherwise stay forever; one sweep a minute drops them.
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  hit(key: string, limit: number, windowMs: number): RateDecision {
    const now = this.now();
    const start = now - (now % windowMs);
    let window = this.windows.get(key);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return decide(window.count, limit, start, windowMs, now);
  }

  /** Drops windows that have ended; `maxWindowMs` is the longest window in use. */
  sweep(maxWindowMs = 60_000): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (window.start + maxWindowMs <= now) this.windows.delete(key);
    }
  }

  get size(): number {
    return this.windows.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
