import type { Scope } from "../identity/scope.js";
import { AppError } from "../server/app-error.js";
import type { RateDecision, RateLimiter } from "./rate-limiter.js";

export interface RateLimitSettings {
  readPerMinute: number;
  writePerMinute: number;
  ipPerMinute: number;
  /** Per address, on the routes that take passwords and refresh tokens. */
  authPerMinute: number;
  /** Extra per-credential budgets for route groups (the route table's tags), e.g. `{ secrets: 60 }`. */
  groups: Readonly<Partial<Record<string, number>>>;
}

const MINUTE_MS = 60_000;

function exceeded(decision: RateDecision, whose: string): AppError {
  const retryAfter = Math.max(1, Math.ceil(decision.resetMs / 1000));
  return new AppError(
    "RATE_LIMITED",
    `Rate limit exceeded: ${decision.limit} requests a minute for ${whose}; retry in ${retryAfter} s`,
    { limit: decision.limit, retry_after_seconds: retryAfter },
    {
      "retry-after": String(retryAfter),
      "x-ratelimit-limit": String(decision.limit),
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(retryAfter),
    },
  );
}

/**
 * The budgets a request spends: its source address's (before authentication, so floods of bad
 * credentials are limited too) and its principal's, separately for reads and writes. A limit of 0
 * switches that budget off. Settings are read per request, so a reload changes them at once.
 */
export class RateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly settings: () => RateLimitSettings,
    /** Told of every rejection, by budget: `address`, `auth`, `read` or `write`. */
    private readonly onRejected: (budget: string) => void = () => {},
  ) {}

  /** Resolves (or returns) nothing when allowed; throws or rejects with a 429 AppError when not. */
  checkAddress(ip: string): undefined | Promise<undefined> {
    return this.spend(`ip:${ip}`, this.settings().ipPerMinute, `address ${ip}`, "address");
  }

  /** The budget of a route group with its own limit, per source address. */
  checkGroup(group: "auth", ip: string): undefined | Promise<undefined> {
    return this.spend(
      `${group}:ip:${ip}`,
      this.settings().authPerMinute,
      `${group} requests from ${ip}`,
      group,
    );
  }

  checkPrincipal(scope: Scope, writing: boolean, routeGroup?: string): undefined | Promise<undefined> {
    const { readPerMinute, writePerMinute, groups } = this.settings();
    const group = writing ? "write" : "read";
    const groupLimit = routeGroup === undefined ? undefined : groups[routeGroup];
    if (groupLimit !== undefined && groupLimit > 0) {
      const spent = this.spend(
        `principal:${scope.tenantId}:${scope.principalId}:group:${routeGroup}`,
        groupLimit,
        `${routeGroup} requests by this credential`,
        `group:${routeGroup}`,
      );
      const overall = () => this.checkPrincipal(scope, writing);
      return spent instanceof Promise ? spent.then(overall) : overall();
    }
    return this.spend(
      `principal:${scope.tenantId}:${scope.principalId}:${group}`,
      writing ? writePerMinute : readPerMinute,
      `${group}s by this credential`,
      group,
    );
  }

  private spend(key: string, limit: number, whose: string, budget: string): undefined | Promise<undefined> {
    if (limit <= 0) return undefined;
    const decision = this.limiter.hit(key, limit, MINUTE_MS);
    const judge = (settled: RateDecision): undefined => {
      if (settled.allowed) return undefined;
      this.onRejected(budget);
      throw exceeded(settled, whose);
    };
    return decision instanceof Promise ? decision.then(judge) : judge(decision);
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}
