import type { EndpointRecord, EndpointRepository } from "./endpoint-repository.js";

/** How long another node's change may go unseen; this node's own changes show at once. */
export const ROUTING_STALENESS_MS = 1000;

const keyOf = (method: string, path: string) => `${method} ${path}`;

/**
 * The routing table of /hooks: every tenant's endpoints by method and path, in memory, so mounting
 * or unmounting one needs no server restart and a lookup is one Map read. Changes made through this
 * node refresh it at once; changes by other nodes sharing the database within ROUTING_STALENESS_MS.
 */
export class EndpointRouter {
  private table = new Map<string, EndpointRecord>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private dirty = true;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called after every change made on this node. */
  invalidate(): void {
    this.dirty = true;
  }

  lookup(method: string, path: string): EndpointRecord | undefined | Promise<EndpointRecord | undefined> {
    if (!this.dirty && this.now() - this.loadedAt < ROUTING_STALENESS_MS)
      return this.table.get(keyOf(method, path));
    return this.reload().then(() => this.table.get(keyOf(method, path)));
  }

  private reload(): Promise<void> {
    // Concurrent requests share one load.
    this.loading ??= (async () => {
      try {
        this.dirty = false;
        const startedAt = this.now();
        const records = await this.endpoints.listAll();
        this.table = new Map(records.map((record) => [keyOf(record.method, record.path), record]));
        this.loadedAt = startedAt;
      } catch (error) {
        this.dirty = true;
        throw error;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
