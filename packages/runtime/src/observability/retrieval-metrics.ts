import { Histogram, type Registry } from "prom-client";

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type RetrievalStore = "memory" | "knowledge" | "vectors";

/** Latency of memory, knowledge and vector operations, by store, operation and outcome. */
export class RetrievalMetrics {
  private readonly operations: Histogram<"store" | "operation" | "outcome">;

  constructor(registry: Registry) {
    this.operations = new Histogram({
      name: "symbiont_retrieval_operation_duration_seconds",
      help: "Memory, knowledge and vector store operations, by store, operation and outcome",
      labelNames: ["store", "operation", "outcome"],
      buckets: BUCKETS,
      registers: [registry],
    });
  }

  /** Times `work` and records it under its store and operation, whether it succeeds or throws. */
  async time<T>(store: RetrievalStore, operation: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.operations.observe({ store, operation, outcome: "ok" }, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      this.operations.observe({ store, operation, outcome: "error" }, (performance.now() - started) / 1000);
      throw error;
    }
  }
}

type AsyncMethodName<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

/**
 * Times the named methods of one service instance. Done on the instance, after construction, so the
 * services stay free of metrics code and cost nothing extra when Prometheus is off.
 */
export function timeOperations<T extends object>(
  metrics: RetrievalMetrics,
  store: RetrievalStore,
  target: T,
  operations: readonly AsyncMethodName<T>[],
): void {
  for (const operation of operations) {
    const method = target[operation] as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(target, operation, {
      value: (...args: unknown[]) => metrics.time(store, operation, () => method.apply(target, args)),
      configurable: true,
      writable: true,
    });
  }
}
