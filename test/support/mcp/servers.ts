import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The entry script of an MCP server package from npm, run with this node (no npx, no network). */
function entry(pkg: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "dist/index.js");
}

export const everythingServer = (...args: string[]) => [
  process.execPath,
  entry("@modelcontextprotocol/server-everything"),
  ...args,
];
export const memoryServer = () => [process.execPath, entry("@modelcontextprotocol/server-memory")];
export const filesystemServer = (dir: string) => [
  process.execPath,
  entry("@modelcontextprotocol/server-filesystem"),
  dir,
];
export const changingServer = () => [process.execPath, path.join(here, "changing-server.mjs")];

/** Whether a process is alive (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
