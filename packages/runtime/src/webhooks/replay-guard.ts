import type { Store } from "../store/database.js";

/** How often expired delivery keys are swept, at most. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Remembers deliveries already accepted, in the shared database so that a replay is refused on
 * every node. The primary key makes "first one wins" atomic: a concurrent replay loses the insert.
 */
export class ReplayGuard {
  private lastSweep = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a key is seen (and until it expires); false for a replay. */
  async firstDelivery(key: string, rememberUntil: number): Promise<boolean> {
    const now = this.now();
    if (now - this.lastSweep > SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      await this.store.db
        .deleteFrom("webhook_deliveries")
        .where("expires_at", "<", new Date(now).toISOString())
        .execute();
    }
    const result = await this.store.db
      .insertInto("webhook_deliveries")
      .values({ key, expires_at: new Date(rememberUntil).toISOString() })
      .onConflict((c) => c.column("key").doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) > 0) return true;
    // An expired key not yet swept is no replay protection any more: take it over.
    const taken = await this.store.db
      .updateTable("webhook_deliveries")
      .set({ expires_at: new Date(rememberUntil).toISOString() })
      .where("key", "=", key)
      .where("expires_at", "<", new Date(now).toISOString())
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) > 0;
  }
}
