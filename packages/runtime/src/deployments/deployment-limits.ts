import type { DeploymentLimits, DeploymentOverrides } from "@symbiont/protocol";

/**
 * The limits replicas run under. The agent record holds no limits (the DSL's `with` block is
 * compiled, not stored), so they arrive in the request: `symbiont deploy file.symbi` sends the
 * file's `with` values as overrides, and explicit overrides win over them.
 */
export function deploymentLimits(overrides: DeploymentOverrides): DeploymentLimits {
  return {
    max_memory_mb: overrides.max_memory_mb ?? null,
    max_cpu_cores: overrides.max_cpu_cores ?? null,
    timeout_seconds: overrides.timeout_seconds ?? null,
  };
}

/** Splits a replica's variables into plain ones and secret references (resolved at start). */
export function splitEnv(env: Record<string, string>): {
  plain: Record<string, string>;
  references: Record<string, string>;
} {
  const plain: Record<string, string> = {};
  const references: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value.startsWith("secret://") || value.startsWith("vault://")) references[name] = value;
    else plain[name] = value;
  }
  return { plain, references };
}
