import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILE = "node-id";

/**
 * This node's lasting id, kept in its data dir: a restarted process is the same node and can fail
 * the runs it left running at once, while other nodes on a shared database keep theirs.
 */
export function nodeIdOf(dataDir: string): string {
  const path = join(dataDir, FILE);
  try {
    const id = readFileSync(path, "utf8").trim();
    if (/^[A-Za-z0-9-]{8,64}$/.test(id)) return id;
  } catch {
    // created below
  }
  const id = randomUUID();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // Exclusive: of two processes starting at once on this dir, one id wins and both use it.
    writeFileSync(path, `${id}\n`, { mode: 0o600, flag: "wx" });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readFileSync(path, "utf8").trim();
  }
}
