export const SDK_VERSION = "0.1.0";
export const USER_AGENT = `symbiont-sdk-ts/${SDK_VERSION}`;

/**
 * The Node process, or undefined in browsers and workers. Reached through globalThis so bundlers see
 * no `process` reference to polyfill, and checked by `versions.node` because some bundlers define a
 * partial `process` shim.
 */
export function nodeProcess(): NodeJS.Process | undefined {
  const candidate = (globalThis as { process?: NodeJS.Process }).process;
  return candidate?.versions?.node ? candidate : undefined;
}
