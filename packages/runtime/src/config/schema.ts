import { DEFAULT_PORT } from "@symbiont/protocol";
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
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as ConfigKey[];

/** Keys whose new value takes effect on reload (SIGHUP or the admin route) without a restart. */
export const RELOADABLE_KEYS: ReadonlySet<ConfigKey> = new Set([
  "logLevel",
  "rateLimitReadPerMinute",
  "rateLimitWritePerMinute",
  "rateLimitIpPerMinute",
]);

/** Keys whose values never appear in logs, errors or the effective-config printout. */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set([
  "apiKey",
  "databaseUrl",
  "redisUrl",
  "jwtSecret",
  "embedderApiKey",
  "qdrantApiKey",
]);

/** `dataDir` → `SYMBIONT_DATA_DIR`. */
export function envNameOf(key: ConfigKey): string {
  return `SYMBIONT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
