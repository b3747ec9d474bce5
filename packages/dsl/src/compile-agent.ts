import type { AgentDecl, Expr } from "./ast.js";
import { BodyReader, numberIn, sectionValue } from "./body-reader.js";
import type { Checker } from "./checker.js";
import { compilePolicies } from "./compile-policy.js";
import type { CompiledAgent, JsonValue, ResourceLimits } from "./compiled.js";
import { printType } from "./print-expression.js";
import type { SourceText } from "./source.js";
import { durationOf, staticValue } from "./values.js";

/** Limit settings of a `with` block, read into ResourceLimits; any other setting is kept as written. */
function applyLimit(
  limits: ResourceLimits,
  name: string,
  value: Expr,
  owner: string,
  checker: Checker,
): void {
  switch (name) {
    case "sandbox":
      if (value.kind === "String" || value.kind === "Identifier") {
        limits.sandbox = value.kind === "String" ? value.value : value.name;
      } else checker.error("E2002", `'sandbox' in ${owner} must be a string, like "docker"`, value.span);
      return;
    case "timeout": {
      const ms = durationOf(value);
      if (ms === null || ms <= 0) {
        checker.error(
          "E2002",
          `'timeout' in ${owner} must be a positive duration, like 30s or 5m`,
          value.span,
        );
      } else limits.timeout_ms = ms;
      return;
    }
    case "memory":
      if (value.kind === "Size") limits.max_memory_mb = value.bytes / 1024 ** 2;
      else if (value.kind === "String" || value.kind === "Identifier") {
        limits.memory = value.kind === "String" ? value.value : value.name;
      } else
        checker.error(
          "E2002",
          `'memory' in ${owner} must be a mode like "ephemeral" or a size like 512MB`,
          value.span,
        );
      return;
    case "max_memory_mb": {
      const n =
        value.kind === "Size" ? value.bytes / 1024 ** 2 : numberIn(value, name, owner, { min: 1 }, checker);
      if (n !== undefined) limits.max_memory_mb = n;
      return;
    }
    case "max_cpu_cores": {
      const n = numberIn(value, name, owner, { min: 0.01, max: 1024 }, checker);
      if (n !== undefined) limits.max_cpu_cores = n;
      return;
    }
    default:
      return;
  }
}

export function compileAgent(agent: AgentDecl, checker: Checker, source: SourceText): CompiledAgent {
  const owner = `agent ${agent.name}`;
  const body = new BodyReader(agent.body, checker, source.text, owner, ["trigger"]);
  const limits: ResourceLimits = {
    sandbox: null,
    timeout_ms: null,
    memory: null,
    max_memory_mb: null,
    max_cpu_cores: null,
  };
  const execution: Record<string, JsonValue> = {};
  for (const block of agent.body.flatMap((item) => (item.kind === "With" ? [item] : []))) {
    for (const option of block.options) {
      execution[option.name] = option.value ? staticValue(option.value, source.text) : true;
      if (option.value) applyLimit(limits, option.name, option.value, `the with block of ${owner}`, checker);
    }
  }
  const resources = body.section("resources");
  if (resources) {
    for (const item of resources.body) {
      if (item.kind === "Entry") {
        applyLimit(
          limits,
          item.key === "cpu" ? "max_cpu_cores" : item.key,
          item.value,
          `resources of ${owner}`,
          checker,
        );
      }
    }
  }
  const security = body.section("security");
  const securitySettings = security ? sectionValue(security, source.text) : undefined;
  if (typeof securitySettings?.sandbox === "string") limits.sandbox = securitySettings.sandbox;

  const capabilities = body.strings("capabilities") ?? [];
  const tools = body.strings("tools") ?? [];
  const compiled: CompiledAgent = {
    name: agent.name,
    params: (agent.params ?? []).map((p) => ({ name: p.name, type: p.type ? printType(p.type) : null })),
    returns: agent.returns ? printType(agent.returns) : null,
    display_name: body.text("name") ?? null,
    description: body.text("description") ?? null,
    system_prompt: body.text("system_prompt") ?? null,
    model: body.text("model") ?? null,
    temperature: body.number("temperature", { min: 0, max: 2 }) ?? null,
    top_p: body.number("top_p", { min: 0, max: 1 }) ?? null,
    max_tokens: body.number("max_tokens", { min: 1, max: 2_000_000, integer: true }) ?? null,
    tools,
    capabilities,
    policies: compilePolicies(body.policies, checker, source),
    limits,
    execution,
    settings: { ...body.rest(), ...(securitySettings ? { security: securitySettings } : {}) },
    triggers: body.sections.map((section) => ({
      kind: section.key,
      name: section.label,
      settings: sectionValue(section, source.text),
    })),
    actions: body.actions.map((action) => ({ name: action.name, statements: action.body.statements.length })),
  };
  return compiled;
}
