import { randomUUID } from "node:crypto";
import type {
  AnalysisResults,
  ReviewSession,
  ReviewSessionCreate,
  ReviewStatus,
  SecurityFinding,
  ToolOut,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import { type AuditActor, type AuditTrail, actorOf } from "../audit/audit-trail.js";
import type { Scope } from "../identity/scope.js";
import type { McpTool } from "../mcp/mcp-connection.js";
import type { GateVerdict, ToolGate } from "../mcp/mcp-service.js";
import { requireTenantWide } from "../mcp/tenant-wide.js";
import type { ReviewTransitionEvent } from "../runs/run-events.js";
import { AppError, conflict, fieldError, notFound } from "../server/app-error.js";
import { analyzeTool } from "./analyzer/analyzer.js";
import { type JudgeRecord, judgeAnalysis } from "./analyzer/llm-judge.js";
import type { JudgeSetup } from "./analyzer/model-judge.js";
import { definitionHash } from "./canonical-json.js";
import type { ReviewFilter, ReviewRepository, ReviewRow } from "./review-repository.js";
import { SIGNATURE_ALGORITHM, signedDocument, verifyDocument } from "./schemapin.js";
import type { SigningKeys } from "./signing-keys.js";

export interface ReviewPolicy {
  /** Risk scores below this are approved without a human (0 = never). */
  autoApproveBelow: number;
  /** Risk scores above this are rejected without a human (100 = never). */
  autoRejectAbove: number;
}

/** A definition's schema may be any JSON object; this bounds what is stored and analysed. */
const MAX_SCHEMA_BYTES = 256 * 1024;

const runtimeActor = (tenantId: string, name: string): AuditActor => ({
  tenantId,
  id: "runtime",
  kind: "runtime",
  name,
});

/** Tool review sessions: submission, background analysis, decisions, signing and the gate. */
export class ToolReviewService implements ToolGate {
  private readonly inFlight = new Set<Promise<void>>();
  /** Serialises toolsSeen per server, so a connect and a list_changed cannot open twin reviews. */
  private readonly seenChains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly reviews: ReviewRepository,
    private readonly keys: SigningKeys,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    private readonly policy: () => ReviewPolicy,
    private readonly signerId: () => string,
    /** Where every transition is published (the live event stream); nowhere unless given. */
    private readonly publish: (event: ReviewTransitionEvent) => void = () => {},
    /** The optional LLM judge for a review; undefined = rules only. */
    private readonly judge: (tenantId: string, reviewId: string) => JudgeSetup | undefined = () => undefined,
  ) {}

  /** A review's current state as an event from null: what a subscriber to one review gets first. */
  async stateEvent(tenantId: string, reviewId: string): Promise<ReviewTransitionEvent | undefined> {
    const row = await this.reviews.get(tenantId, reviewId);
    if (!row) return undefined;
    return this.eventOf(row, null, row.revoked_at ? "revoked" : (row.status as ReviewStatus), row.updated_at);
  }

  private eventOf(
    row: ReviewRow,
    from: string | null,
    to: ReviewTransitionEvent["to"],
    at: string,
    replacedBy: string | null = null,
  ): ReviewTransitionEvent {
    return {
      type: "review.transition",
      tenantId: row.tenant_id,
      reviewId: row.id,
      toolName: row.tool_name,
      mcpServer: row.mcp_server,
      from,
      to,
      riskScore: row.risk_score,
      replacedBy,
      at,
    };
  }

  async submit(scope: Scope, request: ReviewSessionCreate) {
    const row = await this.open(scope.tenantId, request, null);
    return { review_id: row.id, status: row.status as ReviewStatus, submitted_at: row.submitted_at };
  }

  async get(scope: Scope, id: string): Promise<ReviewSession> {
    const row = await this.reviews.get(scope.tenantId, id);
    if (!row) throw notFound(`Review session "${id}"`);
    return this.toSession(row);
  }

  async list(scope: Scope, filter: ReviewFilter, page: number, limit: number) {
    const { rows, total } = await this.reviews.page(scope.tenantId, filter, page, limit);
    const sessions = await Promise.all(rows.map((row) => this.toSession(row)));
    return { sessions, pagination: { page, limit, total, has_next: page * limit < total } };
  }

  async analysis(scope: Scope, id: string): Promise<AnalysisResults> {
    const row = await this.reviews.analysis(scope.tenantId, id);
    if (!row) throw notFound(`Analysis "${id}"`);
    return {
      analysis_id: row.id,
      review_id: row.review_id,
      risk_score: row.risk_score,
      findings: JSON.parse(row.findings) as SecurityFinding[],
      recommendations: JSON.parse(row.recommendations) as string[],
      completed_at: row.completed_at,
      analyzer: row.analyzer,
      duration_ms: row.duration_ms,
      judge: row.judge ? (JSON.parse(row.judge) as JudgeRecord) : null,
    };
  }

  async decide(
    scope: Scope,
    id: string,
    decision: { decision: "approve" | "reject"; comments?: string | null | undefined; reviewer_id: string },
    requestId: string,
  ) {
    requireTenantWide(scope, "decide on tool reviews");
    const existing = await this.reviews.get(scope.tenantId, id);
    if (!existing) throw notFound(`Review session "${id}"`);
    const at = new Date().toISOString();
    const status = decision.decision === "approve" ? "approved" : "rejected";
    const row = await this.reviews.transition(scope.tenantId, id, ["pending_review", "under_review"], {
      status,
      human_reviewer_id: decision.reviewer_id,
      decided_by: scope.principalName,
      decision_comments: decision.comments ?? null,
      decided_at: at,
      review_started_at: existing.review_started_at ?? at,
      updated_at: at,
    });
    if (!row) throw conflict(`Review session "${id}" is ${existing.status}, not awaiting a review decision`);
    await this.recordTransition(actorOf(scope), row, existing.status, requestId, {
      reviewer_id: decision.reviewer_id,
    });
    return { review_id: id, decision: decision.decision, status, decided_at: at } as const;
  }

  async sign(scope: Scope, reviewId: string, signingKeyId: string, requestId: string) {
    requireTenantWide(scope, "sign tools");
    const existing = await this.reviews.get(scope.tenantId, reviewId);
    if (!existing) throw notFound(`Review session "${reviewId}"`);
    const key = await this.keys.resolve(signingKeyId);
    if (!key)
      throw fieldError(
        "VALIDATION_FAILED",
        "body.signing_key_id",
        'names no usable signing key; use "default" or a key_id from /.well-known/schemapin.json',
      );
    // Signed with a key revoked since (a rotation): signing again with the current key is allowed;
    // a revoked signature is a decision and stays.
    const resign =
      existing.status === "signed" &&
      existing.revoked_at === null &&
      (await this.signatureProblem(existing)) !== "";
    if (existing.status !== "approved" && !resign)
      throw conflict(`Review session "${reviewId}" is ${existing.status}, not approved`);
    const signature = this.keys.sign(key, signedDocument(this.partsOf(existing)));
    const at = new Date().toISOString();
    const row = await this.reviews.transition(scope.tenantId, reviewId, resign ? ["signed"] : ["approved"], {
      status: "signed",
      signature,
      signed_at: at,
      key_id: key.id,
      signer_id: this.signerId(),
      updated_at: at,
    });
    if (!row) throw conflict(`Review session "${reviewId}" changed while signing; it is no longer approved`);
    await this.recordTransition(actorOf(scope), row, existing.status, requestId, { key_id: key.id });
    return {
      signature,
      signed_at: at,
      signer_id: row.signer_id as string,
      signature_algorithm: SIGNATURE_ALGORITHM,
      key_id: key.id,
    };
  }

  async signed(scope: Scope, reviewId: string) {
    const row = await this.reviews.get(scope.tenantId, reviewId);
    if (row?.status !== "signed" || !row.signature) throw notFound(`Signed tool for review "${reviewId}"`);
    return {
      tool: this.toolOf(row),
      signature: row.signature,
      signed_at: row.signed_at as string,
      signer_id: row.signer_id as string,
      signature_algorithm: SIGNATURE_ALGORITHM,
      review_id: row.id,
      key_id: row.key_id as string,
      revoked_at: row.revoked_at,
    };
  }

  async revoke(scope: Scope, reviewId: string, requestId: string) {
    requireTenantWide(scope, "revoke tool signatures");
    const existing = await this.reviews.get(scope.tenantId, reviewId);
    if (!existing) throw notFound(`Review session "${reviewId}"`);
    const at = new Date().toISOString();
    const row = await this.reviews.revoke(scope.tenantId, reviewId, at);
    if (!row)
      throw conflict(
        existing.revoked_at
          ? `The signature of "${reviewId}" is revoked already`
          : `Review session "${reviewId}" is not signed`,
      );
    await this.audit.record({
      actor: actorOf(scope),
      action: "tool_review.signature_revoked",
      target: { type: "tool_review", id: reviewId },
      status: 200,
      requestId,
      sourceIp: "internal",
      details: { tool: row.tool_name, mcp_server: row.mcp_server },
    });
    this.publish(this.eventOf(row, "signed", "revoked", at));
    return { review_id: reviewId, revoked_at: at };
  }

  // The gate (ToolGate), used by the MCP layer.

  async verdict(tenantId: string, serverName: string, tool: McpTool): Promise<GateVerdict> {
    const hash = definitionHash({ name: tool.name, description: tool.description, schema: tool.inputSchema });
    const rows = (await this.reviews.byHash(tenantId, hash)).filter((r) => this.belongsTo(r, serverName));
    const latest = rows[0];
    if (!latest)
      return {
        allowed: false,
        hash,
        reviewId: null,
        reviewStatus: null,
        reason: "this definition was never reviewed",
      };
    let reason = "";
    for (const row of rows.filter((r) => r.status === "signed")) {
      // The signature itself is checked, not just the status: a row altered in the database, or
      // signed with a key revoked since, does not open the gate.
      const problem =
        row.revoked_at !== null ? "its signature was revoked" : await this.signatureProblem(row);
      if (!problem)
        return { allowed: true, hash, reviewId: row.id, reviewStatus: "signed", reason: "signed" };
      reason ||= problem;
    }
    if (!reason)
      reason =
        latest.status === "rejected"
          ? "its review was rejected"
          : `its review is ${latest.status}, not signed`;
    return { allowed: false, hash, reviewId: latest.id, reviewStatus: latest.status, reason };
  }

  /** Why a signed row's signature does not hold (key revoked or unknown, signature invalid), or "". */
  private async signatureProblem(row: ReviewRow): Promise<string> {
    const key = row.key_id ? await this.keys.find(row.key_id) : undefined;
    if (!key) return "its signing key is unknown";
    if (key.revoked_at !== null) return "its signing key was revoked (sign it again with the current key)";
    if (!row.signature || !verifyDocument(signedDocument(this.partsOf(row)), row.signature, key.publicKey))
      return "its signature does not verify";
    return "";
  }

  toolsSeen(tenantId: string, serverName: string, tools: McpTool[]): Promise<void> {
    const chainKey = `${tenantId}\u0000${serverName}`;
    const previous = this.seenChains.get(chainKey) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(() => this.openReviewsFor(tenantId, serverName, tools))
      .finally(() => {
        if (this.seenChains.get(chainKey) === next) this.seenChains.delete(chainKey);
      });
    this.seenChains.set(chainKey, next);
    return next;
  }

  /** Waits for analyses under way, so the database outlives them at shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.seenChains.values(), ...this.inFlight]);
  }

  private async openReviewsFor(tenantId: string, serverName: string, tools: McpTool[]): Promise<void> {
    for (const tool of tools) {
      const parts = { name: tool.name, description: tool.description, schema: tool.inputSchema };
      const hash = definitionHash(parts);
      const known = (await this.reviews.byHash(tenantId, hash)).some((r) => this.belongsTo(r, serverName));
      if (known) continue;
      const before = await this.reviews.latestForServerTool(tenantId, serverName, tool.name);
      const request: ReviewSessionCreate = {
        tool: { ...parts, provider: { name: serverName } },
        submitted_by: `mcp:${serverName}`,
        priority: before ? "high" : "normal",
      };
      const row = await this.open(tenantId, request, serverName).catch((error: Error) => {
        this.log.warn(
          { server: serverName, tool: tool.name, err: error.message },
          "could not open a tool review",
        );
        return undefined;
      });
      if (before && row) {
        // A rug pull or an honest update: either way the old approval no longer covers the tool.
        await this.audit.record({
          actor: runtimeActor(tenantId, `mcp server ${serverName}`),
          action: "tool_review.definition_changed",
          target: { type: "tool_review", id: row.id },
          status: 200,
          requestId: `mcp:${randomUUID()}`,
          sourceIp: "internal",
          details: {
            mcp_server: serverName,
            tool: tool.name,
            previous_review_id: before.id,
            previous_status: before.status,
            blocked: true,
          },
        });
        this.publish(this.eventOf(before, before.status, "blocked", row.submitted_at, row.id));
      }
    }
  }

  private belongsTo(row: ReviewRow, serverName: string): boolean {
    if (row.mcp_server !== null) return row.mcp_server === serverName;
    return (JSON.parse(row.provider) as { name: string }).name === serverName;
  }

  private async open(
    tenantId: string,
    request: ReviewSessionCreate,
    mcpServer: string | null,
  ): Promise<ReviewRow> {
    if (this.closed) throw new AppError("UNAVAILABLE", "The runtime is stopping");
    const schemaText = JSON.stringify(request.tool.schema);
    if (Buffer.byteLength(schemaText, "utf8") > MAX_SCHEMA_BYTES)
      throw fieldError(
        "VALIDATION_FAILED",
        "body.tool.tool_schema",
        `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON`,
      );
    const at = new Date().toISOString();
    const provider = {
      name: request.tool.provider.name,
      ...(request.tool.provider.public_key_url
        ? { public_key_url: request.tool.provider.public_key_url }
        : {}),
    };
    const row: ReviewRow = {
      tenant_id: tenantId,
      id: randomUUID(),
      tool_name: request.tool.name,
      description: request.tool.description,
      tool_schema: schemaText,
      provider: JSON.stringify(provider),
      definition_hash: definitionHash(request.tool),
      mcp_server: mcpServer,
      status: "submitted",
      priority: request.priority,
      submitted_by: request.submitted_by,
      submitted_at: at,
      analysis_id: null,
      analysis_completed_at: null,
      risk_score: null,
      review_started_at: null,
      human_reviewer_id: null,
      decided_by: null,
      decision_comments: null,
      decided_at: null,
      signature: null,
      signed_at: null,
      key_id: null,
      signer_id: null,
      revoked_at: null,
      updated_at: at,
    };
    await this.reviews.insert(row);
    await this.audit.record({
      actor: runtimeActor(tenantId, request.submitted_by),
      action: "tool_review.submitted",
      target: { type: "tool_review", id: row.id },
      status: 200,
      requestId: `review:${row.id}`,
      sourceIp: "internal",
      details: { tool: row.tool_name, mcp_server: mcpServer, to: "submitted" },
    });
    this.publish(this.eventOf(row, null, "submitted", at));
    const work = this.analyse(row).catch((error: Error) =>
      this.log.error({ review: row.id, err: error.message }, "tool analysis failed"),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return row;
  }

  /** submitted → analyzing → pending_review, or approved / rejected by the configured scores. */
  private async analyse(submitted: ReviewRow): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const tenantId = submitted.tenant_id;
    const actor = runtimeActor(tenantId, "tool analyzer");
    const requestId = `review:${submitted.id}`;
    const analysing = await this.reviews.transition(tenantId, submitted.id, ["submitted"], {
      status: "analyzing",
      updated_at: new Date().toISOString(),
    });
    if (!analysing) return;
    await this.recordTransition(actor, analysing, "submitted", requestId);
    const parts = this.partsOf(submitted);
    const judged = await judgeAnalysis(parts, analyzeTool(parts), this.judge(tenantId, submitted.id));
    const result = judged.analysis;
    if (judged.judge?.status === "failed")
      this.log.warn(
        { review: submitted.id, err: judged.judge.error },
        "review judge failed; the tool waits for a human",
      );
    const analysisId = randomUUID();
    const at = new Date().toISOString();
    await this.reviews.insertAnalysis({
      tenant_id: tenantId,
      id: analysisId,
      review_id: submitted.id,
      risk_score: result.riskScore,
      findings: JSON.stringify(result.findings),
      recommendations: JSON.stringify(result.recommendations),
      analyzer: result.analyzer,
      duration_ms: result.durationMs + (judged.judge?.duration_ms ?? 0),
      completed_at: at,
      judge: judged.judge ? JSON.stringify(judged.judge) : null,
    });
    const { autoApproveBelow, autoRejectAbove } = this.policy();
    const next =
      result.riskScore > autoRejectAbove
        ? "rejected"
        : result.riskScore < autoApproveBelow && !judged.needsHuman
          ? "approved"
          : "pending_review";
    const done = await this.reviews.transition(tenantId, submitted.id, ["analyzing"], {
      status: next,
      analysis_id: analysisId,
      analysis_completed_at: at,
      risk_score: result.riskScore,
      ...(next === "pending_review"
        ? {}
        : {
            decided_by: "policy",
            decided_at: at,
            decision_comments: `Decided automatically: risk score ${result.riskScore} ${next === "approved" ? `below ${autoApproveBelow}` : `above ${autoRejectAbove}`}`,
          }),
      updated_at: at,
    });
    if (done)
      await this.recordTransition(actor, done, "analyzing", requestId, {
        risk_score: result.riskScore,
        analysis_id: analysisId,
      });
  }

  private async recordTransition(
    actor: AuditActor,
    row: ReviewRow,
    from: string,
    requestId: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit.record({
      actor,
      action: `tool_review.${row.status}`,
      target: { type: "tool_review", id: row.id },
      status: 200,
      requestId,
      sourceIp: "internal",
      details: { tool: row.tool_name, mcp_server: row.mcp_server, from, to: row.status, ...extra },
    });
    this.publish(this.eventOf(row, from, row.status as ReviewStatus, row.updated_at));
  }

  private partsOf(row: ReviewRow) {
    return {
      name: row.tool_name,
      description: row.description,
      schema: JSON.parse(row.tool_schema) as Record<string, unknown>,
    };
  }

  private toolOf(row: ReviewRow): ToolOut {
    const parts = this.partsOf(row);
    // The contract's readers require `properties`; an MCP tool may omit it (signed as it was).
    const schema = parts.schema.properties === undefined ? { ...parts.schema, properties: {} } : parts.schema;
    return { ...parts, schema, provider: JSON.parse(row.provider) as ToolOut["provider"] };
  }

  private async toSession(row: ReviewRow): Promise<ReviewSession> {
    let critical: SecurityFinding[] = [];
    if (row.analysis_id) {
      const analysis = await this.reviews.analysis(row.tenant_id, row.analysis_id);
      if (analysis)
        critical = (JSON.parse(analysis.findings) as SecurityFinding[]).filter(
          (f) => f.severity === "critical",
        );
    }
    return {
      review_id: row.id,
      tool: this.toolOf(row),
      status: row.status as ReviewStatus,
      state: {
        type: row.status,
        ...(row.analysis_id ? { analysis_id: row.analysis_id } : {}),
        ...(row.analysis_completed_at ? { analysis_completed_at: row.analysis_completed_at } : {}),
        critical_findings: critical,
        ...(row.human_reviewer_id ? { human_reviewer_id: row.human_reviewer_id } : {}),
        ...(row.review_started_at ? { review_started_at: row.review_started_at } : {}),
      },
      submitted_by: row.submitted_by,
      submitted_at: row.submitted_at,
      priority: row.priority,
      risk_score: row.risk_score,
      decision_comments: row.decision_comments,
      decided_at: row.decided_at,
      mcp_server: row.mcp_server,
      definition_hash: row.definition_hash,
      signature_revoked_at: row.revoked_at,
    };
  }
}
