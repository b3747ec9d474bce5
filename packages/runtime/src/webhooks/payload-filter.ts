import { isDeepStrictEqual } from "node:util";
import type { PayloadFilter } from "@symbiont/protocol";

/** The value at a dotted path (`$.a.b.0`), or undefined; only own properties are followed. */
export function valueAt(payload: unknown, path: string): unknown {
  const keys = (path.startsWith("$.") ? path.slice(2) : path).split(".");
  let value: unknown = payload;
  for (const key of keys) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Whether every filter matches: a delivery that fails one is acknowledged but triggers nothing. */
export function payloadPasses(filters: readonly PayloadFilter[], payload: unknown): boolean {
  return filters.every((filter) => isDeepStrictEqual(valueAt(payload, filter.path), filter.equals));
}
