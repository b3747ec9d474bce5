import type { RouteQuery } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import type { AuditEntry, AuditPage, AuditVerification } from "../types.js";

/** Your tenant's audit log. Needs `audit:read`. */
export class AuditResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** One page, newest first; pass `next_before` back as `before` for older entries. */
  async list(query: RouteQuery<"listAudit"> = {}, options?: RequestOptions): Promise<AuditPage> {
    return this.#transport.route("listAudit", { query }, options);
  }

  /** Every matching entry, newest first, page after page. */
  async *entries(
    query: Omit<RouteQuery<"listAudit">, "before"> = {},
    options?: RequestOptions,
  ): AsyncGenerator<AuditEntry> {
    let before: number | undefined;
    do {
      const page: AuditPage = await this.list(
        { ...query, ...(before === undefined ? {} : { before }) },
        options,
      );
      yield* page.entries;
      before = page.next_before ?? undefined;
    } while (before !== undefined);
  }

  /** Checks the hash chain; `first_broken` names the first entry that was altered or removed. */
  async verify(options?: RequestOptions): Promise<AuditVerification> {
    return this.#transport.route("verifyAudit", {}, options);
  }
}
