/** The answer to one request against one budget. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the current window ends and the budget refills. */
  resetMs: number;
}

/**
 * Fixed-window counters: `limit` requests per `windowMs` for each key. The memory limiter answers
 * synchronously; a shared one (Redis) answers with a promise.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number): RateDecision | Promise<RateDecision>;
  close(): Promise<void>;
}

export function decide(
  count: number,
  limit: number,
  windowStart: number,
  windowMs: number,
  now: number,
): RateDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetMs: Math.max(0, windowStart + windowMs - now),
  };
}
