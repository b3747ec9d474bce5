import { open, seal } from "../secrets/sealed-box.js";
import type { ReviewRepository, SigningKeyRow } from "./review-repository.js";
import { generateSigningKey, signDocument } from "./schemapin.js";

const context = (keyId: string) => `tool signing key ${keyId}`;

/**
 * The runtime's SchemaPin keys. The private key is sealed (AES-256-GCM) with the secrets layer's
 * master key, bound to its key id, so a database copy alone signs nothing.
 */
export class SigningKeys {
  private creating: Promise<SigningKeyRow> | undefined;

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
