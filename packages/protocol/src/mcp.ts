import { z } from "zod";
import { ResourceName, storableText, Timestamp } from "./text.js";

export const McpConnectionStatus = z.enum(["connected", "disconnected", "connecting", "error"]);
export type McpConnectionStatus = z.infer<typeof McpConnectionStatus>;

/** Values may be `secret://name` or `vault://mount/path#key` references, resolved at connect time. */
const referenceable = storableText(8192);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be an environment variable name");
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be an HTTP header name");

/**
 * The contract's McpServerConfig (a stdio server: `command` is argv) plus our Streamable HTTP
 * extension: `url` and `headers` instead of a command. Exactly one of the two kinds.
 */
export const McpServerConfig = z
  .strictObject({
    name: ResourceName,
    command: z.array(storableText(4096, 1)).max(256, "must have at most 256 arguments").default([]),
    env: z
      .record(envName, referenceable)
      .nullish()
      .transform((v) => v ?? {})
      .refine((v) => Object.keys(v).length <= 256, "must have at most 256 variables"),
    cwd: storableText(4096, 1).nullish(),
    timeout_seconds: z
      .int("must be a whole number of seconds")
      .min(1, "must be at least 1")
      .max(600, "must be at most 600")
      .nullish()
      .transform((v) => v ?? 30),
    url: z
      .string()
      .max(2048, "must be at most 2048 characters")
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/, "must be an http:// or https:// URL")
      .nullish()
      .describe("Streamable HTTP server (our extension); leave command empty"),
    headers: z
      .record(headerName, referenceable)
      .nullish()
      .transform((v) => v ?? {})
      .refine((v) => Object.keys(v).length <= 64, "must have at most 64 headers"),
  })
  .superRefine((config, context) => {
    if (config.url && config.command.length > 0)
      context.addIssue({ code: "custom", path: ["url"], message: "give either command or url, not both" });
    if (!config.url && config.command.length === 0)
      context.addIssue({ code: "custom", path: ["command"], message: "must not be empty (or give a url)" });
  });
export type McpServerConfig = z.output<typeof McpServerConfig>;

export const McpServerChange = z.object({ server_name: z.string(), status: McpConnectionStatus });

/** The contract's McpConnectionInfo, plus the transport and the configured command or url. */
export const McpConnectionInfo = z.object({
  server_name: z.string(),
  status: McpConnectionStatus,
  pid: z.int().optional(),
  connected_at: Timestamp.optional(),
  last_error: z.string().optional(),
  tools_count: z.int().min(0),
  resources_count: z.int().min(0),
  transport: z.enum(["stdio", "streamable_http"]),
  command: z.array(z.string()),
  url: z.string().nullable(),
  reconnect_attempts: z.int().min(0).describe("Failed reconnects since the connection was lost"),
});
export type McpConnectionInfo = z.infer<typeof McpConnectionInfo>;
export const McpConnectionInfoList = z.array(McpConnectionInfo);

export const McpToolInfo = z.object({
  name: z.string(),
  description: z.string(),
  server_name: z.string(),
  schema: z.record(z.string(), z.unknown()),
  verified: z.boolean().describe("The current definition matches a signed, unrevoked review"),
  verification_hash: z.string().optional().describe("SHA-256 of the canonical definition, hex"),
  review_id: z.string().nullable(),
  review_status: z.string().nullable(),
});
export type McpToolInfo = z.infer<typeof McpToolInfo>;
export const McpToolInfoList = z.array(McpToolInfo);

export const McpResourceInfo = z.object({
  uri: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  mime_type: z.string().optional(),
  server_name: z.string(),
});
export type McpResourceInfo = z.infer<typeof McpResourceInfo>;
export const McpResourceInfoList = z.array(McpResourceInfo);

export const McpServerParams = z.strictObject({ server_name: ResourceName });
export const McpListQuery = z.strictObject({ server: ResourceName.optional() });

export const McpDeletedResponse = z.object({ deleted: z.literal(true), server_name: z.string() });

/** Our admin call endpoint: every call passes the review gate first. */
export const McpToolCallRequest = z.strictObject({
  arguments: z.record(z.string(), z.unknown()).nullish(),
});
export const McpToolParams = z.strictObject({ server_name: ResourceName, tool_name: ResourceName });
export const McpToolCallResponse = z.object({
  server_name: z.string(),
  tool_name: z.string(),
  content: z.unknown(),
  is_error: z.boolean(),
});
export type McpToolCallResponse = z.infer<typeof McpToolCallResponse>;
