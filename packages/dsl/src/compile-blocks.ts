import type { BlockDecl } from "./ast.js";
import { BodyReader } from "./body-reader.js";
import type { Checker } from "./checker.js";
import { compilePolicies } from "./compile-policy.js";
import type {
  CompiledChannel,
  CompiledMemory,
  CompiledSchedule,
  CompiledWebhook,
  WebhookProvider,
} from "./compiled.js";
import { cronProblem, timeZoneValid } from "./cron.js";
import type { SourceText } from "./source.js";
import { durationOf, staticValue } from "./values.js";

const ownerOf = (block: BlockDecl) => `${block.keyword}${block.name ? ` ${block.name}` : ""}`;
const headSpan = (block: BlockDecl) =>
  block.nameSpan ?? { start: block.span.start, end: block.span.start + block.keyword.length };

const SCHEDULE_KEYS = [
  "name",
  "agent",
  "cron",
  "at",
  "timezone",
  "one_shot",
  "session_mode",
  "delivery",
  "policy",
  "heartbeat",
  "max_concurrent",
  "max_retries",
  "input",
  "webhook_url",
  "webhook_headers",
  "slack_channel",
  "email_recipients",
  "agent_pin_jwt",
];

export function compileSchedule(
  block: BlockDecl,
  checker: Checker,
  source: SourceText,
): CompiledSchedule | undefined {
  const owner = ownerOf(block);
  const body = new BodyReader(block.body, checker, source.text, owner);
  body.warnUnknown(SCHEDULE_KEYS);
  const name = block.name ?? body.text("name") ?? null;
  const agent = body.text("agent", { bare: true });
  const cron = body.text("cron");
  const at = body.text("at");
  const timezone = body.text("timezone") ?? "UTC";
  const oneShot = body.boolean("one_shot");
  const cronExpr = body.has("cron") ? body.expr("cron") : undefined;
  let ok = true;
  if (agent === undefined && !body.has("agent")) {
    checker.error("E2003", `${owner} needs 'agent': the agent it runs`, headSpan(block));
    ok = false;
  }
  if (cron === undefined && at === undefined && !body.has("cron") && !body.has("at")) {
    checker.error("E2003", `${owner} needs 'cron' (recurring) or 'at' (one time)`, headSpan(block));
    ok = false;
  }
  if (cron !== undefined && at !== undefined) {
    checker.error("E2002", `${owner} sets both 'cron' and 'at'; keep one`, body.valueSpan("at")!);
    ok = false;
  }
  if (cron !== undefined) {
    const problem = cronProblem(cron);
    if (problem) {
      checker.error(
        "E2004",
        `cron "${cron}" ${problem.startsWith("has ") ? problem : `is invalid: ${problem}`}`,
        cronExpr?.span ?? headSpan(block),
      );
      ok = false;
    }
  }
  if (at !== undefined && Number.isNaN(Date.parse(at))) {
    checker.error(
      "E2002",
      `'at' must be an ISO 8601 time like "2026-02-15T14:30:00Z", not "${at}"`,
      body.valueSpan("at")!,
    );
    ok = false;
  }
  if (!timeZoneValid(timezone)) {
    checker.error(
      "E2005",
      `unknown time zone "${timezone}"`,
      body.valueSpan("timezone") ?? headSpan(block),
      'use an IANA name like "Europe/Berlin" or "UTC"',
    );
    ok = false;
  }
  if (at !== undefined && oneShot === false) {
    checker.error(
      "E2002",
      `a schedule with 'at' runs once; 'one_shot: false' contradicts it`,
      body.valueSpan("one_shot")!,
    );
    ok = false;
  }
  if (!ok || agent === undefined) return undefined;
  return {
    name,
    agent,
    cron: cron ?? null,
    at: at ? new Date(at).toISOString() : null,
    timezone,
    one_shot: oneShot ?? at !== undefined,
    settings: body.rest(),
  };
}

const PROVIDERS: readonly WebhookProvider[] = ["github", "stripe", "slack", "custom"];
const WEBHOOK_KEYS = [
  "path",
  "provider",
  "secret",
  "agent",
  "filter",
  "method",
  "max_body_bytes",
  "description",
];
/** `vault://mount/path[#key]`: a mount and at least one path segment, as the runtime resolves them. */
const VAULT_REFERENCE = /^vault:\/\/([A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)+)(?:#([A-Za-z0-9._-]+))?$/;
/** `secret://name`: a secret of the runtime's own store (the agent's, else the tenant's). */
const SECRET_REFERENCE = /^secret:\/\/([A-Za-z0-9._-]{1,128})$/;

export function compileWebhook(
  block: BlockDecl,
  checker: Checker,
  source: SourceText,
): CompiledWebhook | undefined {
  const owner = ownerOf(block);
  const body = new BodyReader(block.body, checker, source.text, owner);
  body.warnUnknown(WEBHOOK_KEYS);
  let ok = true;
  const path = body.text("path");
  if (path === undefined) {
    if (!body.has("path"))
      checker.error("E2003", `${owner} needs 'path', like "/hooks/github"`, headSpan(block));
    ok = false;
  } else if (
    !/^\/[A-Za-z0-9._~\-/{}]*$/.test(path) ||
    path.includes("//") ||
    path.split("/").includes("..")
  ) {
    checker.error(
      "E2002",
      `webhook path "${path}" must start with '/' and hold only URL path characters`,
      body.valueSpan("path")!,
    );
    ok = false;
  }
  const providerName = body.text("provider", { bare: true }) ?? "custom";
  if (!(PROVIDERS as readonly string[]).includes(providerName)) {
    checker.error(
      "E2002",
      `unknown webhook provider '${providerName}'`,
      body.valueSpan("provider")!,
      `use one of ${PROVIDERS.join(", ")}`,
    );
    ok = false;
  }
  const agent = body.text("agent", { bare: true });
  if (agent === undefined && !body.has("agent")) {
    checker.error("E2003", `${owner} needs 'agent': the agent that handles its events`, headSpan(block));
    ok = false;
  }
  let secret: CompiledWebhook["secret"] = null;
  const secretText = body.text("secret");
  if (secretText !== undefined) {
    const vault = VAULT_REFERENCE.exec(secretText);
    const stored = SECRET_REFERENCE.exec(secretText);
    if (vault) secret = { scheme: "vault", path: vault[1]!, key: vault[2] ?? null, reference: secretText };
    else if (stored) secret = { scheme: "secret", path: stored[1]!, key: null, reference: secretText };
    else {
      const malformed = secretText.startsWith("vault://") || secretText.startsWith("secret://");
      checker.error(
        "E2006",
        malformed
          ? `malformed secret reference "${secretText}"`
          : "the webhook secret is written in plain text",
        body.valueSpan("secret")!,
        'reference it instead: secret "vault://webhooks/github/secret" (Vault: mount, path, optional #key) or secret "secret://GITHUB_WEBHOOK_SECRET"',
      );
      ok = false;
    }
  } else if (!body.has("secret") && providerName !== "custom") {
    checker.warn(
      "W0005",
      `${owner} has no secret, so ${providerName} signatures cannot be verified`,
      headSpan(block),
    );
  }
  let filter: CompiledWebhook["filter"] = null;
  const filterSection = body.section("filter");
  if (filterSection) {
    const reader = new BodyReader(filterSection.body, checker, source.text, `the filter of ${owner}`);
    reader.warnUnknown(["json_path", "equals", "contains"]);
    const jsonPath = reader.text("json_path");
    const equals = reader.expr("equals");
    const contains = reader.text("contains");
    if (jsonPath === undefined || !jsonPath.startsWith("$")) {
      checker.error(
        "E2002",
        `the filter of ${owner} needs 'json_path' starting with '$', like "$.action"`,
        reader.valueSpan("json_path") ?? filterSection.keySpan,
      );
      ok = false;
    } else if (equals === undefined && contains === undefined) {
      checker.error("E2003", `the filter of ${owner} needs 'equals' or 'contains'`, filterSection.keySpan);
      ok = false;
    } else {
      filter = {
        json_path: jsonPath,
        equals: equals ? staticValue(equals, source.text) : null,
        contains: contains ?? null,
      };
    }
  }
  if (!ok || path === undefined || agent === undefined) return undefined;
  return {
    name: block.name,
    path,
    provider: providerName as WebhookProvider,
    secret,
    agent,
    filter,
    settings: body.rest(),
  };
}

const MEMORY_KEYS = ["store", "path", "retention", "search", "embedding_model", "max_entries", "compaction"];

export function compileMemory(
  block: BlockDecl,
  checker: Checker,
  source: SourceText,
): CompiledMemory | undefined {
  const owner = ownerOf(block);
  const body = new BodyReader(block.body, checker, source.text, owner);
  body.warnUnknown(MEMORY_KEYS);
  let ok = true;
  const store = body.text("store", { bare: true }) ?? "markdown";
  const path = body.text("path") ?? null;
  let retention: number | null = null;
  const retentionExpr = body.expr("retention");
  if (retentionExpr) {
    retention = durationOf(retentionExpr);
    if (retention === null || retention <= 0 || retentionExpr.kind === "Number") {
      checker.error("E2002", `'retention' in ${owner} must be a duration, like 365d`, retentionExpr.span);
      ok = false;
    }
  }
  let search: CompiledMemory["search"] = null;
  const searchSection = body.section("search");
  if (searchSection) {
    const reader = new BodyReader(searchSection.body, checker, source.text, `the search of ${owner}`);
    reader.warnUnknown(["vector_weight", "keyword_weight"]);
    const vector = reader.number("vector_weight", { min: 0, max: 1 });
    const keyword = reader.number("keyword_weight", { min: 0, max: 1 });
    if (vector === undefined || keyword === undefined) {
      if (!reader.has("vector_weight") || !reader.has("keyword_weight")) {
        checker.error(
          "E2003",
          `the search of ${owner} needs both 'vector_weight' and 'keyword_weight'`,
          searchSection.keySpan,
        );
      }
      ok = false;
    } else if (Math.abs(vector + keyword - 1) > 1e-9) {
      checker.error(
        "E2002",
        `search weights of ${owner} add up to ${vector + keyword}; they must add up to 1`,
        searchSection.keySpan,
      );
      ok = false;
    } else {
      search = { vector_weight: vector, keyword_weight: keyword };
    }
  }
  if (!ok) return undefined;
  return { name: block.name, store, path, retention_ms: retention, search, settings: body.rest() };
}

export function compileChannel(block: BlockDecl, checker: Checker, source: SourceText): CompiledChannel {
  const owner = ownerOf(block);
  const body = new BodyReader(block.body, checker, source.text, owner);
  return {
    name: block.name,
    platform: body.text("platform", { bare: true }) ?? null,
    default_agent: body.text("default_agent", { bare: true }) ?? null,
    channels: body.strings("channels") ?? [],
    policies: compilePolicies(body.policies, checker, source),
    settings: body.rest(),
  };
}
