import type { WebhookVerification } from "@symbiont/protocol";
import { SecretReferenceError, type SecretResolver } from "../secrets/secret-resolver.js";
import type { ReplayGuard } from "./replay-guard.js";
import { checkSignature, type Delivery } from "./signature-check.js";

export type VerificationResult = { ok: true } | { ok: false; status: 401 | 503; reason: string };

/**
 * Verifies a signed delivery: resolves the secret reference at the moment of use, checks the
 * signature and its freshness, then refuses a delivery already accepted. `scopeKey` keeps the
 * replay memory of one endpoint or server apart from another's.
 */
export class WebhookVerifier {
  constructor(
    private readonly secrets: SecretResolver,
    private readonly replays: ReplayGuard,
  ) {}

  async verify(
    verification: WebhookVerification,
    delivery: Delivery,
    use: { tenantId: string; agentId: string; scopeKey: string; requestId: string },
  ): Promise<VerificationResult> {
    let secret: string;
    try {
      secret = await this.secrets.resolve(verification.secret, {
        tenantId: use.tenantId,
        agentId: use.agentId,
        purpose: "webhook signature",
        requestId: use.requestId,
      });
    } catch (error) {
      // The sender did nothing wrong: the receiving side's secret is missing. Its name is the
      // operator's business, not the sender's.
      if (error instanceof SecretReferenceError)
        return { ok: false, status: 503, reason: "the webhook's signing secret is not available" };
      throw error;
    }
    const outcome = await checkSignature(verification, secret, delivery);
    if (!outcome.ok) return { ok: false, status: 401, reason: `Webhook rejected: ${outcome.reason}` };
    const first = await this.replays.firstDelivery(
      `${use.scopeKey}:${outcome.replayKey}`,
      outcome.rememberUntil,
    );
    if (!first) return { ok: false, status: 401, reason: "Webhook rejected: replayed delivery" };
    return { ok: true };
  }
}
