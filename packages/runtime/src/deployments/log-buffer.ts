import type { DeploymentLogLine } from "@symbiont/protocol";

/** Lines kept per deployment; older ones are dropped, so a chatty replica cannot fill the memory. */
export const MAX_LOG_LINES = 2000;
/** A longer line is cut, with a marker saying so. */
export const MAX_LINE_LENGTH = 4096;

/**
 * A deployment's recent output, numbered, bounded, and waitable: a reader that has seen everything
 * can wait for the next line instead of polling (the logs route's long-poll, `deployments logs -f`).
 */
export class LogBuffer {
  private readonly lines: DeploymentLogLine[] = [];
  private seq = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  append(replica: number, stream: DeploymentLogLine["stream"], text: string): void {
    const cut =
      text.length > MAX_LINE_LENGTH ? `${text.slice(0, MAX_LINE_LENGTH)}… [cut, ${text.length} chars]` : text;
    // Postgres and JSON consumers reject NUL and lone surrogates; a replica may print anything.
    const clean = cut.replaceAll("\u0000", "\ufffd").toWellFormed();
    this.seq += 1;
    this.lines.push({ seq: this.seq, replica, stream, at: this.now().toISOString(), text: clean });
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  after(after: number, limit: number): { lines: DeploymentLogLine[]; next: number } {
    const lines = this.lines.filter((line) => line.seq > after).slice(0, limit);
    return { lines, next: lines.at(-1)?.seq ?? Math.max(after, this.firstSeq() - 1) };
  }

  /** The last `count` lines as text, for a failed deployment's report. */
  tail(count: number): string[] {
    return this.lines.slice(-count).map((line) => `[${line.replica}:${line.stream}] ${line.text}`);
  }

  /** Resolves when a line after `after` exists, or after `ms`, or when `signal` aborts. */
  waitFor(after: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.seq > after || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener("abort", done);
    });
  }

  /** Wakes every waiting reader (the deployment stopped: nothing more will come). */
  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  private firstSeq(): number {
    return this.lines[0]?.seq ?? this.seq + 1;
  }
}
