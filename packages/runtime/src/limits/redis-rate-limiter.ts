import { Redis } from "ioredis";
import { decide, type RateDecision, type RateLimiter } from "./rate-limiter.js";

// One round trip: count the hit and make sure the window's key expires after the window.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

const WARN_EVERY_MS = 10_000;

/**
 * Counters in Redis, shared by every runtime node on it, so a principal's budget holds across the
 * cluster. The window is part of the key, so nodes agree on it without coordinating.
 *
 * When Redis fails mid-flight the request is let through and the failure reported (at most every
 * 10 s): an outage of the limiter must not become an outage of the API.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly onFailure: (error: Error) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    this.redis.on("error", (error: Error) => this.report(error));
    this.redis.defineCommand("symbiontHit", { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const now = this.now();
    const start = now - (now % windowMs);
    const redis = this.redis as Redis & { symbiontHit(key: string, ttlMs: number): Promise<number> };
    try {
      const count = await redis.symbiontHit(`symbiont:rate:${key}:${start}`, windowMs * 2);
      return decide(count, limit, start, windowMs, now);
    } catch (error) {
      this.report(error as Error);
      return decide(0, limit, start, windowMs, now);
    }
  }

  private report(error: Error): void {
    const now = this.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.onFailure(error);
  }

  /** Fails unless Redis answers; used at start so a wrong URL stops start-up with a clear message. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
