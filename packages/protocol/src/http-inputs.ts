import { z } from "zod";
import { ResourceName, storableText } from "./text.js";
import { PayloadFilters, WebhookVerification } from "./webhooks.js";

export const RouteMatchType = z.enum(["path_prefix", "header_equals", "json_field_equals"]);
export type RouteMatchType = z.infer<typeof RouteMatchType>;

export const AgentRoutingRule = z
  .strictObject({
    condition_type: RouteMatchType,
    condition_value: storableText(4096),
    condition_target: storableText(256, 1)
      .nullish()
      .describe("The header name (header_equals) or dotted JSON field (json_field_equals)"),
    agent_id: ResourceName,
  })
  .superRefine((rule, context) => {
    if (rule.condition_type !== "path_prefix" && !rule.condition_target)
      context.addIssue({
        code: "custom",
        path: ["condition_target"],
        message: `must name the ${rule.condition_type === "header_equals" ? "header" : "JSON field"} to compare`,
      });
  });
export type AgentRoutingRule = z.output<typeof AgentRoutingRule>;

const statusCode = z
  .int("must be an HTTP status code")
  .min(100, "must be 100-599")
  .max(599, "must be 100-599");

export const HttpResponseControlConfig = z.strictObject({
  default_status: statusCode.nullish().transform((v) => v ?? 200),
  agent_output_to_json: z
    .boolean()
    .nullish()
    .transform((v) => v ?? true),
  error_status: statusCode.nullish().transform((v) => v ?? 500),
  echo_input_on_error: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
});
export type HttpResponseControlConfig = z.output<typeof HttpResponseControlConfig>;

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be an HTTP header name");

/** The contract's HttpInputConfig, plus our webhook `verification` and payload `filters`. */
export const HttpInputConfig = z.strictObject({
  bind_address: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, "must be an IP address or host name")
    .nullish()
    .transform((v) => v ?? "0.0.0.0"),
  port: z
    .int("must be a whole port number")
    .min(0, "must be 0-65535 (0 picks a free port)")
    .max(65_535, "must be 0-65535 (0 picks a free port)")
    .nullish()
    .transform((v) => v ?? 8081),
  path: z
    .string()
    .max(512, "must be at most 512 characters")
    .regex(/^\/[A-Za-z0-9_~.\-/]*$/, "must start with / and use only A-Z a-z 0-9 _ ~ . - /")
    .nullish()
    .transform((v) => v ?? "/webhook"),
  agent_id: ResourceName,
  auth_header: storableText(4096, 1)
    .nullish()
    .describe("The exact Authorization header value required (may be a secret://name reference)"),
  jwt_public_key_path: storableText(4096, 1)
    .nullish()
    .describe("A PEM public key file; requests must carry `Authorization: Bearer <JWT>` it verifies"),
  max_body_bytes: z
    .int("must be whole bytes")
    .min(1, "must be at least 1")
    .max(10 * 1024 * 1024, "must be at most 10485760")
    .nullish()
    .transform((v) => v ?? 65_536),
  concurrency: z
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1000, "must be at most 1000")
    .nullish()
    .transform((v) => v ?? 10),
  routing_rules: z.array(AgentRoutingRule).max(100, "must have at most 100 rules").nullish(),
  response_control: HttpResponseControlConfig.nullish(),
  forward_headers: z
    .array(headerName)
    .max(64, "must have at most 64 headers")
    .nullish()
    .transform((v) => v ?? []),
  cors_enabled: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  audit_enabled: z
    .boolean()
    .nullish()
    .transform((v) => v ?? true),
  verification: WebhookVerification.nullish(),
  filters: PayloadFilters.nullish().transform((v) => v ?? []),
});
export type HttpInputConfig = z.output<typeof HttpInputConfig>;

export const HttpInputCreateRequest = z.strictObject({ config: HttpInputConfig });
export const HttpInputUpdateRequest = z.strictObject({
  server_id: z.string().nullish(),
  config: HttpInputConfig,
});

export const HttpInputServerStatus = z.enum(["running", "stopped", "error"]);

export const HttpInputServerInfo = z.object({
  server_id: z.string(),
  config: z.record(z.string(), z.unknown()),
  status: HttpInputServerStatus,
  uptime_seconds: z.int().min(0).optional(),
  requests_processed: z.int().min(0),
  active_connections: z.int().min(0),
  last_error: z.string().optional(),
  /** Where it listens now (port 0 in the config becomes the port the system picked). */
  listening_url: z.string().nullable(),
});
export type HttpInputServerInfo = z.infer<typeof HttpInputServerInfo>;
export const HttpInputServerInfoList = z.array(HttpInputServerInfo);

export const HttpInputParams = z.strictObject({ server_id: ResourceName });
export const HttpInputStatusChange = z.object({
  server_id: z.string(),
  status: HttpInputServerStatus,
  last_error: z.string().optional(),
});
export const HttpInputDeletedResponse = z.object({ deleted: z.literal(true), server_id: z.string() });

export const WebhookTriggerRequest = z.strictObject({
  server_id: z.string().nullish(),
  payload: z.record(z.string(), z.unknown()),
  headers: z
    .record(z.string().max(128), storableText(8192))
    .nullish()
    .transform((v) => v ?? {}),
});

export const WebhookTriggerResponse = z.object({
  status: z.string(),
  response_code: z.int(),
  response_body: z.record(z.string(), z.unknown()),
  processing_time_ms: z.number(),
  agent_id: z.string(),
  run_id: z.string().nullable(),
});
export type WebhookTriggerResponse = z.infer<typeof WebhookTriggerResponse>;

export const HttpInputMetrics = z.object({
  server_id: z.string(),
  requests_processed: z.int().min(0),
  requests_failed: z.int().min(0),
  active_connections: z.int().min(0),
  average_latency_ms: z.number(),
  uptime_seconds: z.int().min(0),
});
export type HttpInputMetrics = z.infer<typeof HttpInputMetrics>;
