import { routes } from "@symbiont/protocol";
import type { FastifyInstance } from "fastify";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { ToolReviewService } from "./review-service.js";
import { SIGNATURE_ALGORITHM } from "./schemapin.js";
import type { SignatureVerifier } from "./signature-verifier.js";
import type { SigningKeys } from "./signing-keys.js";

export function registerToolReviewRoutes(
  context: RouteBindingContext,
  reviews: ToolReviewService,
  keys: SigningKeys,
  verifier: SignatureVerifier,
  signerId: () => string,
): void {
  bindRoute(context, routes.submitToolForReview, ({ scope, body }) => reviews.submit(scope, body));
  bindRoute(context, routes.listReviewSessions, ({ scope, query }) =>
    reviews.list(
      scope,
      { status: query.status, author: query.author, server: query.server },
      query.page,
      query.limit,
    ),
  );
  bindRoute(context, routes.getReviewSession, ({ scope, params }) => reviews.get(scope, params.review_id));
  bindRoute(context, routes.getAnalysisResults, ({ scope, params }) =>
    reviews.analysis(scope, params.analysis_id),
  );
  bindRoute(context, routes.submitReviewDecision, ({ scope, params, body, requestId }) =>
    reviews.decide(scope, params.review_id, body, requestId),
  );
  bindRoute(context, routes.signApprovedTool, ({ scope, body, requestId }) =>
    reviews.sign(scope, body.review_id, body.signing_key_id, requestId),
  );
  bindRoute(context, routes.getSignedTool, ({ scope, params }) => reviews.signed(scope, params.review_id));
  bindRoute(context, routes.revokeToolSignature, ({ scope, params, requestId }) =>
    reviews.revoke(scope, params.review_id, requestId),
  );
  bindRoute(context, routes.verifyToolSignature, ({ scope, body, requestId }) =>
    verifier.verify(
      scope,
      {
        tool: body.tool,
        signature: body.signature,
        wellKnownUrl: body.well_known_url ?? undefined,
        acceptNewKey: body.accept_new_key === true,
      },
      requestId,
    ),
  );
  bindRoute(context, routes.rotateToolSigningKeys, () => keys.rotate());
  registerWellKnown(context.app, keys, signerId);
}

/**
 * SchemaPin discovery: the public keys this runtime signs with, and the revoked ones, at the
 * well-known path of the host (outside the API prefix, without authentication, as verifiers expect).
 */
function registerWellKnown(app: FastifyInstance, keys: SigningKeys, signerId: () => string): void {
  app.get("/.well-known/schemapin.json", async (_request, reply) => {
    await keys.current();
    const all = await keys.all();
    const live = all.filter((k) => k.revoked_at === null);
    const current = live[0];
    reply.header("cache-control", "public, max-age=300");
    return {
      schema_version: "1.2",
      developer_name: signerId(),
      public_key_pem: current?.public_key_pem ?? null,
      key_id: current?.id ?? null,
      signature_algorithm: SIGNATURE_ALGORITHM,
      revoked_keys: all.filter((k) => k.revoked_at !== null).map((k) => k.id),
      keys: live.map((k) => ({ key_id: k.id, public_key_pem: k.public_key_pem, created_at: k.created_at })),
    };
  });
}
