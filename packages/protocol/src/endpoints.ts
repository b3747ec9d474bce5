import { z } from "zod";
import { ResourceName, storableText, Timestamp } from "./text.js";
import { PayloadFilters, WebhookVerification } from "./webhooks.js";

/** Where dynamic endpoints are mounted on the main server, outside the API prefix so none can shadow it. */
export const ENDPOINTS_PREFIX = "/hooks";

export const EndpointHttpMethod = z.enum(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
export type EndpointHttpMethod = z.infer<typeof EndpointHttpMethod>;

export const EndpointStatus = z.enum(["active", "inactive", "maintenance", "error"]);
export type EndpointStatus = z.infer<typeof EndpointStatus>;

/**
 * A path below /hooks: `/`-separated segments of unreserved URL characters. No `.`/`..` segments,
 * empty segments, query, fragment or percent signs, so what is stored is exactly what matches.
 */
export const EndpointPath = z
  .string()
  .max(512, "must be at most 512 characters")
  .regex(
    /^(\/[A-Za-z0-9_~.-]+)+$/,
    "must be /segment/segment... of A-Z a-z 0-9 _ ~ . - (no query, no percent signs, no trailing slash)",
  )
  .refine((path) => !path.split("/").some((s) => /^\.+$/.test(s)), "must not contain . or .. segments");

const description = storableText(4096).nullish();
const rateLimit = z
  .int("must be a whole number of requests per minute")
  .min(1, "must be at least 1")
  .max(1_000_000, "must be at most 1000000");
const timeoutSeconds = z
  .int("must be whole seconds")
  .min(1, "must be at least 1")
  .max(300, "must be at most 300");
const middleware = z.array(storableText(128, 1)).max(32, "must have at most 32 entries");
const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 65_536, "must be at most 64 KiB as JSON");

/** The contract's HttpEndpointCreateRequest, plus our `verification` and `filters` (webhooks). */
export const HttpEndpointCreateRequest = z.strictObject({
  path: EndpointPath,
  method: EndpointHttpMethod,
  agent_id: ResourceName,
  description,
  auth_required: z
    .boolean()
    .nullish()
    .transform((v) => v ?? true),
  rate_limit: rateLimit.nullish(),
  timeout_seconds: timeoutSeconds.nullish().transform((v) => v ?? 30),
  middleware: middleware.nullish().transform((v) => v ?? []),
  metadata: metadata.nullish().transform((v) => v ?? {}),
  verification: WebhookVerification.nullish().describe(
    "Signed webhooks (our extension): the signature authenticates, instead of a bearer credential",
  ),
  filters: PayloadFilters.nullish()
    .transform((v) => v ?? [])
    .describe("Our extension: every filter must match for a delivery to trigger the agent"),
});
export type HttpEndpointCreateRequest = z.output<typeof HttpEndpointCreateRequest>;

/** Every field is sent; `null` leaves it unchanged. */
export const HttpEndpointUpdateRequest = z.strictObject({
  endpoint_id: z.string().nullish(),
  path: EndpointPath.nullish(),
  method: EndpointHttpMethod.nullish(),
  agent_id: ResourceName.nullish(),
  description,
  auth_required: z.boolean().nullish(),
  rate_limit: rateLimit.nullish(),
  timeout_seconds: timeoutSeconds.nullish(),
  status: EndpointStatus.nullish(),
  middleware: middleware.nullish(),
  metadata: metadata.nullish(),
  verification: WebhookVerification.nullish(),
  filters: PayloadFilters.nullish(),
});
export type HttpEndpointUpdateRequest = z.output<typeof HttpEndpointUpdateRequest>;

export const EndpointMetrics = z.object({
  endpoint_id: z.string(),
  total_requests: z.int().min(0),
  successful_requests: z.int().min(0),
  failed_requests: z.int().min(0),
  average_response_time_ms: z.number(),
  max_response_time_ms: z.number(),
  min_response_time_ms: z.number(),
  requests_per_minute: z.number(),
  error_rate_percent: z.number(),
  uptime_seconds: z.int().min(0),
  last_request_at: Timestamp.nullable(),
  p50_response_time_ms: z.number().describe("Over the last 1024 requests on this node"),
  p95_response_time_ms: z.number(),
  p99_response_time_ms: z.number(),
});
export type EndpointMetrics = z.infer<typeof EndpointMetrics>;

export const HttpEndpointInfo = z.object({
  endpoint_id: z.string(),
  path: z.string(),
  method: EndpointHttpMethod,
  agent_id: z.string(),
  description: z.string().nullable(),
  status: EndpointStatus,
  auth_required: z.boolean(),
  rate_limit: z.int().nullable(),
  timeout_seconds: z.int(),
  middleware: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  verification: WebhookVerification.nullable(),
  filters: PayloadFilters,
  /** Where the endpoint answers on the main server, e.g. /hooks/github/push. */
  url_path: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: z.string(),
  metrics: EndpointMetrics.optional(),
});
export type HttpEndpointInfo = z.infer<typeof HttpEndpointInfo>;
export const HttpEndpointInfoList = z.array(HttpEndpointInfo);

export const HttpEndpointResponse = z.object({
  endpoint_id: z.string(),
  status: z.string(),
  message: z.string().optional(),
  endpoint_info: HttpEndpointInfo,
  created_at: Timestamp.optional(),
});

export const EndpointParams = z.strictObject({ endpoint_id: ResourceName });
export const EndpointDeletedResponse = z.object({ deleted: z.literal(true), endpoint_id: z.string() });
export const EndpointStatusChange = z.object({ endpoint_id: z.string(), status: EndpointStatus });
