import { type RouteQuery, type RouteResponse, streamRoutes } from "@symbiont/protocol";
import { TimeoutError } from "../errors.js";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";
import { readEvents } from "./runs.js";

export type ReviewSession = RouteResponse<"getReviewSession">;
export type ReviewSessionList = RouteResponse<"listReviewSessions">;
export type ReviewSessionResponse = RouteResponse<"submitToolForReview">;
export type AnalysisResults = RouteResponse<"getAnalysisResults">;
export type SigningResponse = RouteResponse<"signApprovedTool">;
export type SignedTool = RouteResponse<"getSignedTool">;
export type SignatureVerification = RouteResponse<"verifyToolSignature">;

export interface ToolDefinitionInput {
  name: string;
  description: string;
  /** The tool's JSON Schema (sent as `tool_schema`, as the contract has it). */
  schema: Record<string, unknown>;
  provider: { name: string; public_key_url?: string | null };
}

const FINAL = new Set(["approved", "rejected", "signed"]);

/** Tool review: submit definitions, read the analysis, decide (needs `tools:review`), sign and verify. */
export class ToolReviewResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async submit(
    tool: ToolDefinitionInput,
    submittedBy: string,
    priority: "low" | "normal" | "high" | "critical" = "normal",
    options?: RequestOptions,
  ): Promise<ReviewSessionResponse> {
    const body = {
      tool: {
        name: tool.name,
        description: tool.description,
        tool_schema: tool.schema,
        provider: { name: tool.provider.name, public_key_url: tool.provider.public_key_url ?? null },
      },
      submitted_by: submittedBy,
      priority,
    };
    return this.#transport.route("submitToolForReview", { body }, options);
  }

  async get(reviewId: string, options?: RequestOptions): Promise<ReviewSession> {
    return this.#transport.route(
      "getReviewSession",
      { params: { review_id: pathId("review", reviewId) } },
      options,
    );
  }

  async list(
    query: RouteQuery<"listReviewSessions"> = {},
    options?: RequestOptions,
  ): Promise<ReviewSessionList> {
    return this.#transport.route("listReviewSessions", { query: { page: 1, limit: 20, ...query } }, options);
  }

  async analysis(analysisId: string, options?: RequestOptions): Promise<AnalysisResults> {
    return this.#transport.route(
      "getAnalysisResults",
      { params: { analysis_id: pathId("analysis", analysisId) } },
      options,
    );
  }

  async approve(
    reviewId: string,
    reviewerId: string,
    comments: string | null = null,
    options?: RequestOptions,
  ) {
    return this.#decide(reviewId, "approve", reviewerId, comments, options);
  }

  async reject(
    reviewId: string,
    reviewerId: string,
    comments: string | null = null,
    options?: RequestOptions,
  ) {
    return this.#decide(reviewId, "reject", reviewerId, comments, options);
  }

  /** Signs an approved tool with the runtime's SchemaPin key (`default`, or a key id). */
  async sign(reviewId: string, signingKeyId = "default", options?: RequestOptions): Promise<SigningResponse> {
    return this.#transport.route(
      "signApprovedTool",
      { body: { review_id: reviewId, signing_key_id: signingKeyId } },
      options,
    );
  }

  async signed(reviewId: string, options?: RequestOptions): Promise<SignedTool> {
    return this.#transport.route(
      "getSignedTool",
      { params: { review_id: pathId("review", reviewId) } },
      options,
    );
  }

  /** Revokes a signature: the tool is blocked at once. */
  async revoke(reviewId: string, options?: RequestOptions) {
    return this.#transport.route(
      "revokeToolSignature",
      { params: { review_id: pathId("review", reviewId) } },
      options,
    );
  }

  /** Verifies a signature made elsewhere against the signer's /.well-known/schemapin.json. */
  async verify(
    tool: ToolDefinitionInput,
    signature: string,
    settings: { wellKnownUrl?: string; acceptNewKey?: boolean } = {},
    options?: RequestOptions,
  ): Promise<SignatureVerification> {
    const body = {
      tool: {
        name: tool.name,
        description: tool.description,
        tool_schema: tool.schema,
        provider: { name: tool.provider.name, public_key_url: tool.provider.public_key_url ?? null },
      },
      signature,
      well_known_url: settings.wellKnownUrl ?? null,
      accept_new_key: settings.acceptNewKey ?? false,
    };
    return this.#transport.route("verifyToolSignature", { body }, options);
  }

  /** Revokes the runtime's signing keys and makes a new one (`system:admin`); re-sign tools after. */
  async rotateSigningKeys(options?: RequestOptions) {
    return this.#transport.route("rotateToolSigningKeys", {}, options);
  }

  /**
   * Waits until a session is approved, rejected or signed (the contract's wait_for_review_completion).
   * Follows the review's live events, so it answers as soon as the decision happens; where the
   * stream is not available (a credential without `runs:read`, a proxy that buffers), it polls every
   * `intervalMs` instead.
   */
  async waitForReviewCompletion(
    reviewId: string,
    timeoutMs = 300_000,
    intervalMs = 5_000,
  ): Promise<ReviewSession> {
    const until = Date.now() + timeoutMs;
    const followed = await this.#followUntilFinal(reviewId, timeoutMs).catch((error: unknown) => {
      if (error instanceof TimeoutError) throw error;
      return undefined;
    });
    if (followed) return followed;
    for (;;) {
      const session = await this.get(reviewId);
      if (FINAL.has(session.status)) return session;
      if (Date.now() + intervalMs > until)
        throw new Error(`Review ${reviewId} is still ${session.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** The session once its event stream says it reached a final state; undefined if the stream ended first. */
  async #followUntilFinal(reviewId: string, timeoutMs: number): Promise<ReviewSession | undefined> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await this.#transport.openStream(
        {
          method: "GET",
          path: streamRoutes.streamEvents.path,
          query: { topic: "reviews", review_id: pathId("review", reviewId) },
        },
        controller.signal,
      );
      for await (const event of readEvents(response.body as ReadableStream<Uint8Array>)) {
        if (event.type === "review.transition" && FINAL.has(event.to)) return await this.get(reviewId);
      }
      return undefined;
    } catch (error) {
      if (controller.signal.aborted)
        throw new TimeoutError(`Review ${reviewId} did not complete within ${timeoutMs} ms`, timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  async #decide(
    reviewId: string,
    decision: "approve" | "reject",
    reviewerId: string,
    comments: string | null,
    options?: RequestOptions,
  ) {
    return this.#transport.route(
      "submitReviewDecision",
      {
        params: { review_id: pathId("review", reviewId) },
        body: { decision, reviewer_id: reviewerId, comments },
      },
      options,
    );
  }
}
