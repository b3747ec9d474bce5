import { existsSync, readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, type Config, type ConfigKey, ConfigSchema, envNameOf, SECRET_KEYS } from "./schema.js";

export const CONFIG_FILE_NAMES = ["symbiont.yaml", "symbiont.yml", "symbiont.json"] as const;

export interface ConfigSources {
  /** Explicit config file (`--config`); otherwise the first of CONFIG_FILE_NAMES found in `cwd`. */
  configFile?: string;
  /** Values given on the command line; they win over everything. */
  flags?: Partial<Record<ConfigKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A configuration that cannot be used; the message names the key, where it came from and what is allowed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Origin = "default" | "file" | "env" | "flag";

function findConfigFile(sources: ConfigSources, cwd: string): string | undefined {
  if (sources.configFile) {
    const path = resolve(cwd, sources.configFile);
    if (!existsSync(path)) throw new ConfigError(`Config file ${path} does not exist (given by --config).`);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, "utf8");
    parsed = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Config file ${path} could not be parsed: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold a mapping of keys (${CONFIG_KEYS.join(", ")}).`);
  }
  const unknown = Object.keys(parsed).filter((key) => !(CONFIG_KEYS as string[]).includes(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Config file ${path} has unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; allowed: ${CONFIG_KEYS.join(", ")}.`,
    );
  }
  return parsed as Record<string, unknown>;
}

function describeOrigin(key: ConfigKey, origin: Origin, file: string | undefined): string {
  switch (origin) {
    case "env":
      return `environment variable ${envNameOf(key)}`;
    case "flag":
      return `command-line flag for ${key}`;
    case "file":
      return `config file ${file}`;
    default:
      return "default";
  }
}

/** Resolves the configuration: defaults < config file < SYMBIONT_* environment < command-line flags. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const file = findConfigFile(sources, cwd);
  const merged: Record<string, unknown> = {};
  const origins = new Map<ConfigKey, Origin>();
  const set = (key: ConfigKey, value: unknown, origin: Origin) => {
    if (value === undefined || value === "") return;
    merged[key] = value;
    origins.set(key, origin);
  };
  if (file)
    for (const [key, value] of Object.entries(readConfigFile(file))) set(key as ConfigKey, value, "file");
  for (const key of CONFIG_KEYS) set(key, env[envNameOf(key)], "env");
  for (const [key, value] of Object.entries(sources.flags ?? {})) set(key as ConfigKey, value, "flag");

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "") as ConfigKey;
      const origin = describeOrigin(key, origins.get(key) ?? "default", file);
      const shown = SECRET_KEYS.has(key) ? "" : ` = ${JSON.stringify(merged[key])}`;
      return `  ${key}${shown} (from ${origin}): ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  }
  return { ...result.data, dataDir: resolve(cwd, result.data.dataDir) };
}

/** The configuration with secrets masked, for printing and for the admin API. */
export function redactConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (shown[key] !== undefined) shown[key] = "[redacted]";
  return shown;
}
