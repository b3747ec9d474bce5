import type { z } from "zod";
import type { Permission } from "./permissions.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Idempotent methods may be retried by clients after a network failure, 429 or 503. */
export const IDEMPOTENT_METHODS: ReadonlySet<HttpMethod> = new Set(["GET", "PUT", "DELETE"]);

export interface RouteDefinition {
  /** Stable name; the OpenAPI operationId. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Relative to the API base (/api/v1), with `{param}` segments. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /**
   * `public` routes need no credential; `authenticated` ones any valid credential (a caller's own
   * session and profile); every other route names the permission it needs.
   */
  readonly auth: "public" | "authenticated" | Permission;
  /** True for routes of the 0.3.x client contract, whose shapes are frozen. */
  readonly contract: boolean;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
  readonly successStatus?: number;
  /**
   * A rate-limit budget of its own, per source address, on top of the usual ones: `auth` for the
   * routes that take passwords and refresh tokens, where guessing is the threat.
   */
  readonly rateGroup?: "auth";
}

/** Keeps a route's literal types (its schemas, its path) for the typed clients. */
export function route<const R extends RouteDefinition>(definition: R): R {
  return definition;
}
