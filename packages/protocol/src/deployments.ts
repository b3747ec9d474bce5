import { z } from "zod";
import { AgentCreateRequest, AgentId } from "./agents.js";
import { labelText, ResourceName, Timestamp } from "./text.js";

/** Plain string on the wire (contract §3); these are the values we send. */
export const DeploymentStatus = z.enum(["deploying", "running", "stopped", "failed"]);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const ExecutorKind = z.enum(["local", "kubernetes"]);
export type ExecutorKind = z.infer<typeof ExecutorKind>;

/** Names an environment variable may have (what POSIX shells accept). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const EnvName = z
  .string()
  .regex(ENV_NAME, "must be a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");

/**
 * What a deployment may change about how its agent runs. The contract leaves the object open; we
 * name every key we understand and refuse the others, so a typo is an error rather than ignored.
 * Values given here win over the agent's DSL `with` block.
 */
export const DeploymentOverrides = z.strictObject({
  replicas: z.int().min(1, "must be at least 1").max(20, "must be at most 20").nullish(),
  max_memory_mb: z
    .number()
    .min(16, "must be at least 16")
    .max(1_048_576, "must be at most 1048576")
    .nullish(),
  max_cpu_cores: z.number().min(0.01, "must be at least 0.01").max(256, "must be at most 256").nullish(),
  timeout_seconds: z.int().min(1, "must be at least 1").max(86_400, "must be at most 86400").nullish(),
  /** Plain environment variables of each replica (a ConfigMap on Kubernetes). */
  env: z
    .record(EnvName, z.string().max(8192, "must be at most 8192 characters"))
    .refine((env) => Object.keys(env).length <= 64, "must set at most 64 variables")
    .refine(
      (env) => Object.keys(env).every((key) => !key.startsWith("SYMBIONT_")),
      "must not set SYMBIONT_* variables (the runtime sets those)",
    )
    .nullish(),
  /** Kubernetes only: the container image of the replicas. */
  image: labelText(512).nullish(),
});
export type DeploymentOverrides = z.output<typeof DeploymentOverrides>;

export const AgentDeployRequest = z.strictObject({
  agent_id: AgentId,
  environment: labelText(64)
    .regex(
      /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/,
      "must be lower-case letters, digits and dashes (like production)",
    )
    .nullish()
    .transform((value) => value ?? "development"),
  config_overrides: DeploymentOverrides.nullish().transform((value) => value ?? {}),
});
export type AgentDeployRequest = z.input<typeof AgentDeployRequest>;

/** The limits a deployment's replicas run under, after the DSL and the overrides are merged. */
export const DeploymentLimits = z.object({
  max_memory_mb: z.number().nullable(),
  max_cpu_cores: z.number().nullable(),
  timeout_seconds: z.int().nullable(),
});
export type DeploymentLimits = z.infer<typeof DeploymentLimits>;

export const DeploymentReplica = z.object({
  index: z.int().min(0),
  pid: z.int().nullable(),
  state: z.enum(["starting", "running", "backing_off", "stopped"]),
  restarts: z.int().min(0),
  memory_bytes: z.int().min(0),
  cpu_percent: z.number().min(0),
  last_heartbeat_at: Timestamp.nullable(),
  started_at: Timestamp.nullable(),
});
export type DeploymentReplica = z.infer<typeof DeploymentReplica>;

/** The contract's AgentDeployResponse; every field after `endpoint_url` is our own. */
export const AgentDeployResponse = z.object({
  deployment_id: z.string(),
  agent_id: z.string(),
  status: DeploymentStatus,
  deployed_at: Timestamp,
  endpoint_url: z.string().nullable(),
  environment: z.string(),
  executor: ExecutorKind,
  replicas: z.int().min(1),
  limits: DeploymentLimits,
  config_overrides: z.record(z.string(), z.unknown()),
  restarts: z.int().min(0),
  last_error: z.string().nullable(),
  /** The last lines the replicas printed, kept when a deployment fails. */
  last_log_lines: z.array(z.string()),
  instances: z.array(DeploymentReplica),
  updated_at: Timestamp,
  stopped_at: Timestamp.nullable(),
});
export type AgentDeployResponse = z.infer<typeof AgentDeployResponse>;

export const AgentDeployList = z.array(AgentDeployResponse);

export const DeploymentListQuery = z.strictObject({ agent_id: ResourceName.optional() });

export const DeploymentIdParams = z.strictObject({ deployment_id: ResourceName });

export const DeploymentStopped = z.object({ deployment_id: z.string(), status: DeploymentStatus });

const seqNumber = z.preprocess(
  (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
  z.int("must be a whole number").min(0, "must be at least 0").max(Number.MAX_SAFE_INTEGER),
);

/** Long-poll: lines after `after`; with `wait`, the answer holds until a line arrives or it runs out. */
export const DeploymentLogQuery = z.strictObject({
  after: seqNumber.optional(),
  limit: z
    .preprocess(
      (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
      z.int("must be a whole number").min(1, "must be at least 1").max(1000, "must be at most 1000"),
    )
    .optional(),
  wait: z
    .preprocess(
      (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
      z.int("must be a whole number").min(0, "must be at least 0").max(25, "must be at most 25 (seconds)"),
    )
    .optional(),
});

export const DeploymentLogLine = z.object({
  seq: z.int().min(1),
  replica: z.int().min(0),
  stream: z.enum(["stdout", "stderr", "supervisor"]),
  at: Timestamp,
  text: z.string(),
});
export type DeploymentLogLine = z.infer<typeof DeploymentLogLine>;

export const DeploymentLogPage = z.object({
  deployment_id: z.string(),
  status: DeploymentStatus,
  lines: z.array(DeploymentLogLine),
  /** Pass as `after` to read on; lines older than the buffer holds are gone. */
  next_after: z.int().min(0),
});
export type DeploymentLogPage = z.infer<typeof DeploymentLogPage>;

/** Kubernetes objects as plain JSON, in the order they are applied. */
export const DeploymentPlan = z.object({
  executor: ExecutorKind,
  manifests: z.array(z.record(z.string(), z.unknown())),
});
export type DeploymentPlan = z.infer<typeof DeploymentPlan>;

export const RegistryStats = z.object({
  agents: z.int().min(0),
  deployments: z.object({
    total: z.int().min(0),
    deploying: z.int().min(0),
    running: z.int().min(0),
    stopped: z.int().min(0),
    failed: z.int().min(0),
  }),
  replicas_running: z.int().min(0),
  restarts_total: z.int().min(0),
  executor: ExecutorKind,
});
export type RegistryStats = z.infer<typeof RegistryStats>;

export const REGISTRY_FORMAT = "symbiont-registry/1";

export const RegistryDeployment = z.strictObject({
  agent_id: AgentId,
  environment: z.string().max(64),
  config_overrides: DeploymentOverrides,
  /** Whether the deployment should run after an import. */
  running: z.boolean(),
});

/** Agents and deployments of a tenant as one JSON document, for backups and moving between runtimes. */
export const RegistryDocument = z.strictObject({
  format: z.literal(REGISTRY_FORMAT, `must be "${REGISTRY_FORMAT}"`),
  exported_at: Timestamp,
  agents: z.array(AgentCreateRequest).max(10_000, "must hold at most 10000 agents"),
  deployments: z.array(RegistryDeployment).max(10_000, "must hold at most 10000 deployments"),
});
export type RegistryDocument = z.input<typeof RegistryDocument>;

export const RegistryImportResult = z.object({
  agents_created: z.int().min(0),
  agents_updated: z.int().min(0),
  deployments_started: z.array(z.string()),
});
export type RegistryImportResult = z.infer<typeof RegistryImportResult>;
