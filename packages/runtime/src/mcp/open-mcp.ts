import type { Logger } from "pino";
import type { AuditTrail } from "../audit/audit-trail.js";
import type { Config } from "../config/schema.js";
import { ModelProviders } from "../runs/model-providers.js";
import type { RunEvents } from "../runs/run-events.js";
import type { Secrets } from "../secrets/open-secrets.js";
import type { Store } from "../store/database.js";
import { configuredJudge } from "../tool-review/analyzer/model-judge.js";
import { ReviewRepository } from "../tool-review/review-repository.js";
import { ToolReviewService } from "../tool-review/review-service.js";
import { SignatureVerifier } from "../tool-review/signature-verifier.js";
import { SigningKeys } from "../tool-review/signing-keys.js";
import { McpServerRepository } from "./mcp-repository.js";
import { McpService } from "./mcp-service.js";
import { McpToolProvider } from "./mcp-tool-provider.js";

/** Who signs: shown as `signer_id` and as the developer in /.well-known/schemapin.json. */
const SIGNER_ID = "symbiont-runtime";

export interface OpenedMcp {
  service: McpService;
  toolProvider: McpToolProvider;
  toolReview: {
    service: ToolReviewService;
    keys: SigningKeys;
    verifier: SignatureVerifier;
    signerId: () => string;
  };
  /** Disconnects every server (no child outlives the runtime), then lets analyses finish. */
  close(): Promise<void>;
}

export function openMcp(
  store: Store,
  config: () => Config,
  log: Logger,
  audit: AuditTrail,
  secrets: Secrets,
  /** The live event bus review transitions are published on. */
  events?: RunEvents,
): OpenedMcp {
  const reviews = new ReviewRepository(store);
  const keys = new SigningKeys(reviews, secrets.encryptionKey);
  const signerId = () => SIGNER_ID;
  const toolReview = new ToolReviewService(
    reviews,
    keys,
    audit,
    log,
    () => ({
      autoApproveBelow: config().toolReviewAutoApproveBelow,
      autoRejectAbove: config().toolReviewAutoRejectAbove,
    }),
    signerId,
    (event) => events?.emit(event),
    configuredJudge(config, new ModelProviders(config, secrets.resolver)),
  );
  const service = new McpService(
    new McpServerRepository(store),
    secrets.resolver,
    toolReview,
    log,
    () => ({ maxAttempts: config().mcpReconnectMaxAttempts, baseDelayMs: config().mcpReconnectBaseDelayMs }),
    secrets.encryptionKey,
  );
  return {
    service,
    toolProvider: new McpToolProvider(service),
    toolReview: { service: toolReview, keys, verifier: new SignatureVerifier(store, audit), signerId },
    close: async () => {
      await service.close();
      await toolReview.close();
    },
  };
}
