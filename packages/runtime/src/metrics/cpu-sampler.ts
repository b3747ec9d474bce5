import { availableParallelism } from "node:os";

/**
 * Process CPU use as a share of the whole machine (100 = every core busy), over the last sampling
 * window. A single reading of process.cpuUsage() is a total since start, not a current rate, so the
 * sampler keeps the previous reading and reports the difference.
 */
export class CpuSampler {
  private previous = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  private percent = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 2_000) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number {
    const usage = process.cpuUsage();
    const at = process.hrtime.bigint();
    const elapsedMicros = Number(at - this.previous.at) / 1_000;
    if (elapsedMicros > 0) {
      const busyMicros = usage.user - this.previous.usage.user + (usage.system - this.previous.usage.system);
      this.percent = Math.min(100, Math.max(0, (busyMicros / elapsedMicros / availableParallelism()) * 100));
    }
    this.previous = { usage, at };
    return this.percent;
  }

  /** The rate over the last completed window. */
  current(): number {
    return this.percent;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
