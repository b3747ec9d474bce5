import { readFileSync } from "node:fs";

/** Sends a signal to a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

export const groupAlive = (pgid: number) => signalGroup(pgid, 0);

/** Waits until the group is gone or `ms` passed; true when it is gone. */
export async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * Whether `pid` is still one of our replicas of this deployment. A pid recorded before a restart
 * may since belong to an unrelated process; only one whose command line names the deployment is
 * ours to kill. Where /proc does not exist the answer is no: better a leftover than a wrong kill.
 */
export function isReplicaOf(pid: number, deploymentId: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\u0000");
    return args.includes(`--deployment=${deploymentId}`);
  } catch {
    return false;
  }
}
