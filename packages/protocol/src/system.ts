import { z } from "zod";
import { Timestamp } from "./text.js";

export const HealthResponse = z.object({
  status: z.string().describe('"healthy" while the process serves requests'),
  uptime_seconds: z.int().min(0),
  timestamp: Timestamp,
  version: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export const ReadinessCheck = z.object({
  ok: z.boolean(),
  latency_ms: z.number().min(0),
  error: z.string().optional(),
});

export const ReadinessResponse = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), ReadinessCheck),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponse>;

export const SystemMetrics = z.object({
  uptime_seconds: z.int().min(0),
  memory_usage_bytes: z.int().min(0),
  memory_usage_percent: z.number().min(0),
  cpu_usage_percent: z.number().min(0),
  disk_usage_bytes: z.int().min(0),
  disk_usage_percent: z.number().min(0),
  active_agents: z.int().min(0),
  total_agents: z.int().min(0),
  secrets_count: z.int().min(0),
  mcp_connections: z.int().min(0),
  vector_db_items: z.int().min(0),
});
export type SystemMetrics = z.infer<typeof SystemMetrics>;

export const ConfigReloadResponse = z.object({
  reloaded: z.boolean(),
  applied: z.array(z.string()).describe("Reloadable keys whose new value is now in force"),
  requires_restart: z.array(z.string()).describe("Changed keys that only take effect after a restart"),
});
export type ConfigReloadResponse = z.infer<typeof ConfigReloadResponse>;
