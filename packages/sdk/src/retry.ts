/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryTiming {
  /** First backoff ceiling; each retry doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking for a longer pause than this is obeyed only this far. */
  maxRetryAfterMs: number;
  sleep: Sleep;
  /** Source of the jitter, in [0, 1). */
  random: () => number;
}

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export const defaultRetryTiming: RetryTiming = {
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  sleep,
  random: Math.random,
};

/** Statuses that mean "not now" rather than "not this request". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * `Retry-After` in seconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Null when absent
 * or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * How long to wait before retry number `retry` (0 for the first). Full jitter spreads a crowd of
 * clients that failed together, so they do not come back together.
 */
export function retryDelay(retry: number, retryAfterSeconds: number | null, timing: RetryTiming): number {
  if (retryAfterSeconds !== null) return Math.min(retryAfterSeconds * 1000, timing.maxRetryAfterMs);
  const ceiling = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** retry);
  return Math.floor(timing.random() * ceiling);
}
