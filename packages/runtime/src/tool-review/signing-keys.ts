import type { KeyObject } from "node:crypto";
import { open, seal } from "../secrets/sealed-box.js";
import type { ReviewRepository, SigningKeyRow } from "./review-repository.js";
import { generateSigningKey, parsePublicKey, signDocument } from "./schemapin.js";

const context = (keyId: string) => `tool signing key ${keyId}`;

/**
 * The runtime's SchemaPin keys. The private key is sealed (AES-256-GCM) with the secrets layer's
 * master key, bound to its key id, so a database copy alone signs nothing.
 */
export class SigningKeys {
  private creating: Promise<SigningKeyRow> | undefined;
  private readonly parsed = new Map<string, KeyObject>();

  constructor(
    private readonly repository: ReviewRepository,
    private readonly masterKey: Buffer,
  ) {}

  /** The oldest unrevoked key, created on first use. */
  async current(): Promise<SigningKeyRow> {
    const live = (await this.repository.signingKeys()).find((k) => k.revoked_at === null);
    if (live) return live;
    this.creating ??= this.create().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  /** `default` is the current key; anything else must name an unrevoked key. */
  async resolve(keyId: string): Promise<SigningKeyRow | undefined> {
    if (keyId === "default") return this.current();
    const key = (await this.repository.signingKeys()).find((k) => k.id === keyId);
    return key && key.revoked_at === null ? key : undefined;
  }

  all(): Promise<SigningKeyRow[]> {
    return this.repository.signingKeys();
  }

  /** A key by id with its parsed public key (parsed once; keys never change, only get revoked). */
  async find(keyId: string): Promise<(SigningKeyRow & { publicKey: KeyObject }) | undefined> {
    const row = (await this.repository.signingKeys()).find((k) => k.id === keyId);
    if (!row) return undefined;
    let publicKey = this.parsed.get(row.id);
    if (!publicKey) {
      publicKey = parsePublicKey(row.public_key_pem);
      this.parsed.set(row.id, publicKey);
    }
    return { ...row, publicKey };
  }

  /**
   * Revokes every live key and makes a new one. Tools signed with the old keys stop passing the
   * gate until signed again; the old keys are listed as revoked in /.well-known/schemapin.json.
   */
  async rotate(): Promise<{ key_id: string; revoked_key_ids: string[] }> {
    const at = new Date().toISOString();
    const revoked = await this.repository.revokeSigningKeys(at);
    const created = await this.create();
    return { key_id: created.id, revoked_key_ids: revoked };
  }

  sign(key: SigningKeyRow, document: string): string {
    return signDocument(document, open(this.masterKey, key.private_key_sealed, context(key.id)));
  }

  private async create(): Promise<SigningKeyRow> {
    const generated = generateSigningKey();
    await this.repository.insertSigningKey({
      id: generated.keyId,
      public_key_pem: generated.publicPem,
      private_key_sealed: seal(this.masterKey, generated.privatePem, context(generated.keyId)),
      created_at: new Date().toISOString(),
      revoked_at: null,
    });
    // Another node may have created one at the same moment: the oldest wins everywhere.
    const live = (await this.repository.signingKeys()).find((k) => k.revoked_at === null);
    if (!live) throw new Error("signing key vanished after creation");
    return live;
  }
}
