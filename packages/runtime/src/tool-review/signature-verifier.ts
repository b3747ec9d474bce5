import type { SignatureVerification, ToolIn } from "@symbiont/protocol";
import { type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type { Scope } from "../identity/scope.js";
import { requireTenantWide } from "../mcp/tenant-wide.js";
import { fieldError } from "../server/app-error.js";
import type { Store } from "../store/database.js";
import { fingerprint, parsePublicKey, signedDocument, verifyDocument } from "./schemapin.js";

/** A well-known document is a few keys; anything bigger is not one. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

export interface VerifyRequest {
  tool: ToolIn;
  signature: string;
  wellKnownUrl: string | undefined;
  acceptNewKey: boolean;
}

interface WellKnown {
  publicKeyPem: string;
  revoked: Set<string>;
}

/**
 * Verifies SchemaPin signatures made elsewhere. Keys come from the signer's well-known document and
 * are pinned per tenant and signer on first use; a different key later fails verification and is
 * audited as an alarm until someone re-pins deliberately. Revoked keys and signatures over another
 * definition (forged or stale) fail.
 */
export class SignatureVerifier {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditTrail,
    private readonly timeoutMs = 5_000,
  ) {}

  async verify(scope: Scope, request: VerifyRequest, requestId: string): Promise<SignatureVerification> {
    requireTenantWide(scope, "pin signing keys");
    const url = request.wellKnownUrl ?? request.tool.provider.public_key_url ?? undefined;
    if (!url)
      throw fieldError(
        "VALIDATION_FAILED",
        "body.well_known_url",
        "is required when the tool's provider has no public_key_url",
      );
    const signer = new URL(url).origin;
    const fail = (
      reason: string,
      keyId: string | null,
      pin: SignatureVerification["pin"],
    ): SignatureVerification => ({
      valid: false,
      signer,
      key_id: keyId,
      pin,
      reason,
    });

    let document: WellKnown;
    try {
      document = await this.fetchWellKnown(url);
    } catch (error) {
      return fail(`could not read the signer's keys: ${(error as Error).message}`, null, "none");
    }
    let publicKey: ReturnType<typeof parsePublicKey>;
    try {
      publicKey = parsePublicKey(document.publicKeyPem);
    } catch (error) {
      return fail(`the signer's public key is unusable: ${(error as Error).message}`, null, "none");
    }
    const keyId = fingerprint(publicKey);
    if (document.revoked.has(keyId)) return fail("the signer has revoked this key", keyId, "none");

    const pinned = await this.store.db
      .selectFrom("tool_key_pins")
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("signer", "=", signer)
      .executeTakeFirst();
    let pin: SignatureVerification["pin"] = "matched";
    if (pinned && pinned.key_id !== keyId) {
      if (!request.acceptNewKey) {
        await this.audit.record({
          actor: actorOf(scope),
          action: "tool_review.pinned_key_changed",
          target: { type: "signer", id: signer },
          status: 409,
          requestId,
          sourceIp: "internal",
          details: { pinned_key_id: pinned.key_id, offered_key_id: keyId, tool: request.tool.name },
        });
        return fail(
          `the signer's key changed since it was pinned (${pinned.key_id}); verify out of band, then re-pin with accept_new_key`,
          keyId,
          "changed",
        );
      }
      pin = "re_pinned";
    } else if (!pinned) pin = "first_use";

    const valid = verifyDocument(signedDocument(request.tool), request.signature, publicKey);
    if (!valid)
      return fail(
        "the signature does not match this definition (forged, or made for another version)",
        keyId,
        pinned ? "matched" : "none",
      );
    if (pin !== "matched") {
      const at = new Date().toISOString();
      await this.store.db
        .insertInto("tool_key_pins")
        .values({
          tenant_id: scope.tenantId,
          signer,
          key_id: keyId,
          public_key_pem: document.publicKeyPem,
          pinned_at: at,
          pinned_by: scope.principalName,
        })
        .onConflict((c) =>
          c.columns(["tenant_id", "signer"]).doUpdateSet({
            key_id: keyId,
            public_key_pem: document.publicKeyPem,
            pinned_at: at,
            pinned_by: scope.principalName,
          }),
        )
        .execute();
      await this.audit.record({
        actor: actorOf(scope),
        action: pin === "first_use" ? "tool_review.key_pinned" : "tool_review.key_re_pinned",
        target: { type: "signer", id: signer },
        status: 200,
        requestId,
        sourceIp: "internal",
        details: { key_id: keyId, previous_key_id: pinned?.key_id ?? null },
      });
    }
    return { valid: true, signer, key_id: keyId, pin, reason: null };
  }

  private async fetchWellKnown(url: string): Promise<WellKnown> {
    const response = await fetch(url, {
      redirect: "error",
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: { accept: "application/json" },
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const text = await response.text();
    if (Buffer.byteLength(text, "utf8") > MAX_DOCUMENT_BYTES)
      throw new Error(`${url} is larger than a key document`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${url} is not JSON`);
    }
    const document = body as { public_key_pem?: unknown; revoked_keys?: unknown };
    if (typeof document.public_key_pem !== "string") throw new Error(`${url} has no public_key_pem`);
    const revoked = Array.isArray(document.revoked_keys)
      ? document.revoked_keys.filter((k): k is string => typeof k === "string")
      : [];
    return { publicKeyPem: document.public_key_pem, revoked: new Set(revoked) };
  }
}
