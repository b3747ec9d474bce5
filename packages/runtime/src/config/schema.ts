import { isIP } from "node:net";
import { DEFAULT_PORT, routes } from "@symbiont/protocol";
import { z } from "zod";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Environment variables and flags arrive as text; these accept both text and typed values. */
const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z
      .int(`must be a whole number between ${min} and ${max}`)
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );
const boolean = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const text = v.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(text)) return true;
  if (["false", "0", "no", "off"].includes(text)) return false;
  return v;
}, z.boolean("must be true or false"));

/** The route table's tags, which name the groups a rate limit can be set for. */
const ROUTE_GROUPS: readonly string[] = [...new Set(Object.values(routes).map((route) => route.tag))];
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL");
/** A model provider's API key, or a `secret://name` reference resolved at the moment of use. */
const providerKey = z.string().min(1, "must not be empty");

export const ConfigSchema = z.strictObject({
  host: z.string().min(1, "must not be empty").default("127.0.0.1"),
  port: integer(0, 65535).default(DEFAULT_PORT),
  dataDir: z.string().min(1, "must not be empty").default(".symbiont"),
  databaseUrl: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      "must be a postgres:// or postgresql:// URL (leave it unset for the embedded SQLite)",
    )
    .optional(),
  logLevel: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(", ")}`).default("info"),
  apiKey: z
    .string()
    .min(16, "must be at least 16 characters (generate one with `openssl rand -hex 24`)")
    .optional(),
  bodyLimit: integer(1024, 100 * 1024 * 1024).default(1024 * 1024),
  shutdownTimeoutMs: integer(100, 600_000).default(10_000),
  docs: boolean.default(true),
  jwtSecret: z
    .string()
    .min(32, "must be at least 32 characters (generate one with `openssl rand -hex 32`)")
    .optional()
    .describe("Shared secret for HS256 access tokens from v1 clients; unset = no such tokens accepted"),
  jwtAlgorithm: z.enum(["HS256", "HS384", "HS512"], "must be HS256, HS384 or HS512").default("HS256"),
  redisUrl: z
    .string()
    .regex(
      /^rediss?:\/\//,
      "must be a redis:// or rediss:// URL (leave it unset to keep rate limits in memory)",
    )
    .optional(),
  rateLimitReadPerMinute: integer(0, 100_000_000).default(6_000),
  rateLimitWritePerMinute: integer(0, 100_000_000).default(1_200),
  rateLimitIpPerMinute: integer(0, 100_000_000).default(30_000),
  rateLimitGroups: z
    .preprocess(
      (v) =>
        typeof v === "string"
          ? Object.fromEntries(
              v
                .split(",")
                .map((entry) => entry.trim())
                .filter(Boolean)
                .map((entry) => {
                  const [group = "", limit = ""] = entry.split("=").map((part) => part.trim());
                  return [group, /^\d+$/.test(limit) ? Number(limit) : limit];
                }),
            )
          : v,
      z
        .record(z.string(), z.int("must be a whole number of requests a minute").min(0, "must be at least 0"))
        .superRefine((groups, context) => {
          for (const group of Object.keys(groups)) {
            if (!ROUTE_GROUPS.includes(group))
              context.addIssue({
                code: "custom",
                message: `"${group}" is no route group; must name route groups: ${ROUTE_GROUPS.join(", ")}`,
              });
          }
        }),
    )
    .default({})
    .describe("Per-credential budgets a minute for route groups, e.g. secrets=60,dsl=30"),
  rateLimitAuthPerMinute: integer(0, 100_000_000)
    .default(30)
    .describe("Logins and refreshes a minute per source address"),
  accessTokenTtlSeconds: integer(60, 86_400).default(900),
  refreshTokenTtlSeconds: integer(300, 90 * 86_400).default(14 * 86_400),
  sessionMaxAgeSeconds: integer(300, 365 * 86_400).default(30 * 86_400),
  loginLockoutThreshold: integer(1, 1_000)
    .default(5)
    .describe("Failed logins in a row before an account locks for a minute, doubling after"),
  prometheus: boolean.default(true).describe("Serve Prometheus metrics at /metrics"),
  otlpEndpoint: z
    .url("must be an http(s) URL of an OTLP/HTTP traces endpoint, e.g. http://localhost:4318/v1/traces")
    .regex(/^https?:\/\//, "must be an http:// or https:// URL")
    .optional()
    .describe("Export OpenTelemetry traces here; unset = no tracing"),
  tracingSampleRatio: z
    .preprocess(
      (v) => (typeof v === "string" && v.trim() !== "" ? Number(v.trim()) : v),
      z.number("must be a number from 0 to 1").min(0, "must be at least 0").max(1, "must be at most 1"),
    )
    .default(1),
  metricsScrapeToken: z
    .string()
    .min(16, "must be at least 16 characters (generate one with `openssl rand -hex 24`)")
    .optional()
    .describe("Bearer token that may scrape /metrics from any address"),
  metricsAllowlist: z
    .preprocess(
      (v) =>
        typeof v === "string"
          ? v
              .split(",")
              .map((entry) => entry.trim())
              .filter(Boolean)
          : v,
      z.array(
        z
          .string()
          .refine(
            (entry) => addressEntryValid(entry),
            "each must be an IP address or a CIDR range like 10.0.0.0/8 or fd00::/8",
          ),
      ),
    )
    .default(["127.0.0.1", "::1"]),
  memoryShortTermTtlSeconds: integer(0, 10 * 365 * 86_400)
    .default(7 * 86_400)
    .describe("How long short-term memories live before consolidation prunes them; 0 for ever"),
  qdrantUrl: z
    .string()
    .regex(
      /^https?:\/\//,
      "must be an http:// or https:// URL (leave it unset for the embedded vector index)",
    )
    .optional()
    .describe("Search vectors through this Qdrant server instead of the embedded index"),
  qdrantApiKey: z.string().min(1, "must not be empty").optional(),
  vectorBackend: z
    .enum(["auto", "embedded", "qdrant", "pgvector"], "must be auto, embedded, qdrant or pgvector")
    .default("auto")
    .describe(
      "auto: Qdrant when qdrantUrl is set, else pgvector when the Postgres database has the vector extension, else embedded",
    ),
  memorySummaryModel: z
    .string()
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Model (like ollama/llama3.2) that consolidation asks to summarise old episodic memories into semantic ones; unset: no summaries",
    ),
  memorySummaryAgeDays: integer(0, 3650)
    .default(7)
    .describe("Episodic memories older than this many days are summarised (when memorySummaryModel is set)"),
  memoryEncryption: boolean
    .default(false)
    .describe(
      "Seal memory content and knowledge text at rest with the master key; keyword search then matches whole words only, through keyed hashes",
    ),
  embedder: z
    .enum(["hashing", "ollama", "openai"], "must be hashing, ollama or openai")
    .default("hashing")
    .describe(
      "hashing: built in, offline (lexical features); ollama: /api/embed; openai: any OpenAI-compatible /embeddings",
    ),
  embedderUrl: z
    .string()
    .regex(/^https?:\/\//, "must be an http:// or https:// URL")
    .optional()
    .describe(
      "Ollama server or OpenAI-compatible API base; defaults to http://127.0.0.1:11434 and https://api.openai.com/v1",
    ),
  embedderModel: z.string().min(1, "must not be empty").optional(),
  embedderApiKey: z.string().min(1, "must not be empty").optional(),
  embedderDimensions: integer(8, 4096).optional(),
  embedderBatchSize: integer(1, 2048).default(64),
  corsOrigins: z
    .preprocess(
      (v) =>
        typeof v === "string"
          ? v
              .split(",")
              .map((origin) => origin.trim())
              .filter(Boolean)
          : v,
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/,
            "each must be an origin like https://console.example.com (scheme, host, optional port; no path, no *)",
          ),
      ),
    )
    .default([]),
  masterKey: z
    .string()
    .min(16, "must be 64 hex characters (openssl rand -hex 32) or a passphrase of at least 16 characters")
    .optional()
    .describe("Key of the encrypted secret store; unset = a key file created in dataDir at first start"),
  masterKeyFile: z.string().min(1, "must not be empty").optional(),
  secretsKeepVersions: integer(1, 1000).default(10),
  secretsRotationGraceSeconds: integer(0, 30 * 24 * 3600).default(86_400),
  secretsVaultTimeoutMs: integer(100, 120_000).default(10_000),
  secretsKubernetesTokenPath: z
    .string()
    .min(1, "must not be empty")
    .default("/var/run/secrets/kubernetes.io/serviceaccount/token"),
  mcpReconnectMaxAttempts: integer(0, 100).default(5),
  mcpReconnectBaseDelayMs: integer(10, 60_000).default(1000),
  toolReviewAutoApproveBelow: integer(0, 101)
    .default(0)
    .describe("Tools whose risk score is below this are approved without a human; 0 = never"),
  toolReviewAutoRejectAbove: integer(0, 100)
    .default(100)
    .describe("Tools whose risk score is above this are rejected without a human; 100 = never"),
  reviewJudgeModel: z
    .string()
    .min(1, "must name a model, e.g. openai/gpt-4o-mini")
    .max(256, "must be at most 256 characters")
    .optional()
    .describe("A model that also judges each tool under review (provider/model); unset = rules only"),
  reviewJudgeTimeoutMs: integer(100, 600_000)
    .default(30_000)
    .describe("How long the review judge may take; past it the tool waits for a human"),
  modelDefaultProvider: z
    .enum(["ollama", "openai", "anthropic"], "must be ollama, openai or anthropic")
    .default("ollama")
    .describe("The provider of a model named without one (`llama3.2`)"),
  ollamaBaseUrl: httpUrl.default("http://localhost:11434/v1"),
  ollamaApiKey: providerKey.optional(),
  openaiBaseUrl: httpUrl.default("https://api.openai.com/v1"),
  openaiApiKey: providerKey.optional().describe("Or secret://name; unset = OPENAI_API_KEY"),
  anthropicBaseUrl: httpUrl.default("https://api.anthropic.com/v1"),
  anthropicApiKey: providerKey.optional().describe("Or secret://name; unset = ANTHROPIC_API_KEY"),
  runMaxSteps: integer(1, 1_000).default(20),
  runMaxTokens: integer(1, 100_000_000).default(200_000),
  runTimeoutSeconds: integer(1, 86_400).default(600),
  runWaitSeconds: integer(0, 300)
    .default(25)
    .describe("How long execute waits for a run by default; v1 clients re-send POSTs after 30 s"),
  toolTimeoutMs: integer(100, 3_600_000).default(60_000),
  scheduler: boolean
    .default(true)
    .describe("Fire schedules on this node; several nodes on one database still fire each slot once"),
  scheduleGraceSeconds: integer(1, 86_400)
    .default(60)
    .describe(
      "A slot older than this when the scheduler reaches it counts as missed (downtime) and follows the schedule's missed policy",
    ),
  runLeaseSeconds: integer(2, 3_600)
    .default(60)
    .describe("How long a node vouches for its runs; another node fails them this long after it dies"),
  executor: z
    .enum(["local", "kubernetes"], "must be local or kubernetes")
    .default("local")
    .describe("Where deployments run: supervised child processes of this node, or a Kubernetes cluster"),
  deploymentStopGraceMs: integer(0, 600_000)
    .default(5000)
    .describe("How long a stopping replica has after SIGTERM before its process group is killed"),
  kubeconfig: z
    .string()
    .min(1, "must not be empty")
    .optional()
    .describe("Path of a kubeconfig file; unset = KUBECONFIG, ~/.kube/config or the in-cluster account"),
  kubernetesNamespace: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a Kubernetes namespace name (a-z, 0-9, -)")
    .default("symbiont"),
  kubernetesImage: z
    .string()
    .min(1, "must not be empty")
    .default("symbiont/replica:latest")
    .describe("The container image of deployment replicas (it runs the replica worker)"),
  kubernetesRuntimeUrl: httpUrl
    .optional()
    .describe(
      "The API base replicas in the cluster use to reach this runtime; unset = the runtime's own URL",
    ),
});
export type Config = z.infer<typeof ConfigSchema>;

function addressEntryValid(entry: string): boolean {
  const [address = "", bits, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
export type ConfigKey = keyof Config;

export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as ConfigKey[];

/** Keys whose new value takes effect on reload (SIGHUP or the admin route) without a restart. */
export const RELOADABLE_KEYS: ReadonlySet<ConfigKey> = new Set([
  "logLevel",
  "rateLimitReadPerMinute",
  "rateLimitWritePerMinute",
  "rateLimitIpPerMinute",
  "rateLimitAuthPerMinute",
  "rateLimitGroups",
  "accessTokenTtlSeconds",
  "refreshTokenTtlSeconds",
  "sessionMaxAgeSeconds",
  "loginLockoutThreshold",
  "metricsAllowlist",
  "metricsScrapeToken",
  "secretsKeepVersions",
  "secretsRotationGraceSeconds",
  "mcpReconnectMaxAttempts",
  "mcpReconnectBaseDelayMs",
  "toolReviewAutoApproveBelow",
  "toolReviewAutoRejectAbove",
  "reviewJudgeModel",
  "reviewJudgeTimeoutMs",
  "runMaxSteps",
  "runMaxTokens",
  "runTimeoutSeconds",
  "runWaitSeconds",
  "toolTimeoutMs",
  "scheduleGraceSeconds",
]);

/** Keys whose values never appear in logs, errors or the effective-config printout. */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set([
  "apiKey",
  "databaseUrl",
  "redisUrl",
  "jwtSecret",
  "metricsScrapeToken",
  "masterKey",
  "embedderApiKey",
  "qdrantApiKey",
  "ollamaApiKey",
  "openaiApiKey",
  "anthropicApiKey",
]);

/** `dataDir` → `SYMBIONT_DATA_DIR`. */
export function envNameOf(key: ConfigKey): string {
  return `SYMBIONT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
