import { statfs } from "node:fs/promises";
import { totalmem } from "node:os";
import type { SystemMetrics } from "@symbiont/protocol";
import type { Scope } from "../identity/scope.js";
import type { CpuSampler } from "./cpu-sampler.js";

/**
 * Counts that other domains contribute to the system metrics. A domain that is not part of this
 * runtime contributes nothing, so its count is truly zero rather than invented.
 */
export interface ResourceCounts {
  agents?(scope: Scope): Promise<{ total: number; active: number }>;
  secrets?(scope: Scope): Promise<number>;
  mcpConnections?(scope: Scope): Promise<number>;
  vectorItems?(scope: Scope): Promise<number>;
}

export interface SystemMetricsOptions {
  startedAt: number;
  dataDir: string;
  cpu: CpuSampler;
  counts: ResourceCounts;
}

async function diskUsage(path: string): Promise<{ bytes: number; percent: number }> {
  const stats = await statfs(path);
  const total = stats.blocks * stats.bsize;
  const used = (stats.blocks - stats.bfree) * stats.bsize;
  return { bytes: Math.floor(used), percent: total > 0 ? (used / total) * 100 : 0 };
}

export async function measureSystemMetrics(
  scope: Scope,
  options: SystemMetricsOptions,
): Promise<SystemMetrics> {
  const { counts } = options;
  const rss = process.memoryUsage.rss();
  const [disk, agents, secrets, mcp, vectors] = await Promise.all([
    diskUsage(options.dataDir),
    counts.agents?.(scope) ?? { total: 0, active: 0 },
    counts.secrets?.(scope) ?? 0,
    counts.mcpConnections?.(scope) ?? 0,
    counts.vectorItems?.(scope) ?? 0,
  ]);
  return {
    uptime_seconds: Math.floor((Date.now() - options.startedAt) / 1000),
    memory_usage_bytes: rss,
    memory_usage_percent: (rss / totalmem()) * 100,
    cpu_usage_percent: options.cpu.current(),
    disk_usage_bytes: disk.bytes,
    disk_usage_percent: disk.percent,
    active_agents: agents.active,
    total_agents: agents.total,
    secrets_count: secrets,
    mcp_connections: mcp,
    vector_db_items: vectors,
  };
}
