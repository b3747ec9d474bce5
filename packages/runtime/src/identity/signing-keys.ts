import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import type { Selectable } from "kysely";
import type { Sealer } from "../secrets/sealer.js";
import type { Store } from "../store/database.js";
import type { SigningKeyTable } from "../store/schema.js";
import { withWriteLock } from "../store/write-transaction.js";

export const SIGNING_ALGORITHM = "EdDSA";

export interface SigningKey {
  kid: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** The public half as a JWK, as the JWKS publishes it. */
  publicJwk: Record<string, unknown>;
  retiredAtMs: number | null;
}

/** How long the active key is trusted to still be the active one before asking the database again. */
const ACTIVE_KEY_RECHECK_MS = 30_000;
/** An unknown kid re-reads the table at most this often, so junk tokens cannot hammer the database. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

/** The private half is stored sealed under a master-key subkey, bound to its kid. */
const sealContext = (kid: string) => `signing-key:${kid}`;

function newKeyRow(now: Date, sealer: Sealer): Selectable<SigningKeyTable> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const kid = randomUUID();
  return {
    kid,
    algorithm: SIGNING_ALGORITHM,
    public_jwk: JSON.stringify({
      ...publicKey.export({ format: "jwk" }),
      kid,
      alg: SIGNING_ALGORITHM,
      use: "sig",
    }),
    private_jwk: sealer.seal(JSON.stringify(privateKey.export({ format: "jwk" })), sealContext(kid)),
    created_at: now.toISOString(),
    retired_at: null,
  };
}

function keyOf(row: Selectable<SigningKeyTable>, sealer: Sealer): SigningKey {
  const publicJwk = JSON.parse(row.public_jwk) as Record<string, unknown>;
  return {
    kid: row.kid,
    publicKey: createPublicKey({ key: publicJwk as never, format: "jwk" }),
    privateKey: createPrivateKey({
      key: JSON.parse(sealer.open(row.private_jwk, sealContext(row.kid))),
      format: "jwk",
    }),
    publicJwk,
    retiredAtMs: row.retired_at === null ? null : Date.parse(row.retired_at),
  };
}

/**
 * The instance's Ed25519 token signing keys, in the database so that every node signs and verifies
 * with the same ones. One key signs at a time; a rotation retires it, and a retired key keeps
 * verifying (and stays published) until every token it signed has expired.
 */
export class SigningKeys {
  private keys = new Map<string, SigningKey>();
  private activeKid: string | undefined;
  private loadedAtMs = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    /** The longest any token lives: how long a retired key must still verify. */
    private readonly longestTokenMs: () => number,
    private readonly sealer: Sealer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the first key unless one exists; safe when several processes start at once. */
  async ensureActiveKey(): Promise<void> {
    await withWriteLock(this.store, "signing-keys", async (trx) => {
      const active = await trx
        .selectFrom("signing_keys")
        .select("kid")
        .where("retired_at", "is", null)
        .executeTakeFirst();
      if (!active) await trx.insertInto("signing_keys").values(newKeyRow(this.now(), this.sealer)).execute();
    });
    await this.reload();
  }

  /** Retires the signing key and starts signing with a new one. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const now = this.now();
    const row = newKeyRow(now, this.sealer);
    const retired = await withWriteLock(this.store, "signing-keys", async (trx) => {
      const current = await trx
        .selectFrom("signing_keys")
        .select("kid")
        .where("retired_at", "is", null)
        .execute();
      await trx
        .updateTable("signing_keys")
        .set({ retired_at: now.toISOString() })
        .where("retired_at", "is", null)
        .execute();
      await trx.insertInto("signing_keys").values(row).execute();
      return current.map((key) => key.kid);
    });
    await this.reload();
    return { kid: row.kid, retired };
  }

  async active(): Promise<SigningKey> {
    if (this.now().getTime() - this.loadedAtMs > ACTIVE_KEY_RECHECK_MS) await this.reload();
    const key = this.activeKid === undefined ? undefined : this.keys.get(this.activeKid);
    if (!key) throw new Error("No active token signing key; the signing_keys table was emptied by hand");
    return key;
  }

  /** The key that signed a token, while it may still verify; undefined for unknown or expired kids. */
  async forVerification(kid: string): Promise<SigningKey | undefined> {
    let key = this.keys.get(kid);
    if (!key && this.now().getTime() - this.loadedAtMs > UNKNOWN_KID_RELOAD_MS) {
      await this.reload();
      key = this.keys.get(kid);
    }
    return key && this.stillVerifies(key) ? key : undefined;
  }

  /** Public keys of every key that may still verify a live token, for /.well-known/jwks.json. */
  async published(): Promise<Record<string, unknown>[]> {
    await this.reload();
    return [...this.keys.values()].filter((key) => this.stillVerifies(key)).map((key) => key.publicJwk);
  }

  private stillVerifies(key: SigningKey): boolean {
    return key.retiredAtMs === null || key.retiredAtMs + this.longestTokenMs() > this.now().getTime();
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.store.db.selectFrom("signing_keys").selectAll().execute();
        const keys = new Map<string, SigningKey>();
        for (const row of rows) keys.set(row.kid, this.keys.get(row.kid) ?? keyOf(row, this.sealer));
        // A known key's retirement comes from the row, not the cached object.
        for (const row of rows) {
          const key = keys.get(row.kid) as SigningKey;
          key.retiredAtMs = row.retired_at === null ? null : Date.parse(row.retired_at);
        }
        this.keys = keys;
        this.activeKid = rows.find((row) => row.retired_at === null)?.kid;
        this.loadedAtMs = this.now().getTime();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
