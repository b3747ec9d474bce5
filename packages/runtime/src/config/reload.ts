import { type Config, type ConfigKey, RELOADABLE_KEYS } from "./schema.js";

export interface ReloadPlan {
  /** Reloadable keys whose value changed: apply them now. */
  apply: ConfigKey[];
  /** Changed keys that need a restart; the running values stay. */
  requiresRestart: ConfigKey[];
}

export function planReload(current: Config, next: Config): ReloadPlan {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)] as ConfigKey[]);
  const changed = [...keys].filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]));
  return {
    apply: changed.filter((key) => RELOADABLE_KEYS.has(key)),
    requiresRestart: changed.filter((key) => !RELOADABLE_KEYS.has(key)),
  };
}
