export {
  CONFIG_FILE_NAMES,
  ConfigError,
  type ConfigSources,
  loadConfig,
  redactConfig,
} from "./config/load.js";
export { CONFIG_KEYS, type Config, ConfigSchema, envNameOf, RELOADABLE_KEYS } from "./config/schema.js";
export { type Runtime, type StartOptions, startRuntime } from "./runtime.js";
export {
  isSecretReference,
  SecretReferenceError,
  SecretResolver,
  type SecretUse,
} from "./secrets/secret-resolver.js";
export { MigrationError } from "./store/migrate.js";
export type { ToolCallContext, ToolDefinition, ToolProvider, ToolResult } from "./tools/tool-provider.js";
export { RUNTIME_VERSION } from "./version.js";
