import type { CompiledPolicy, JsonValue, PolicyExpr, PolicyRule } from "@symbiont/dsl";

/** One Cedar statement for the policy store, compiled from one rule of a .symbi policy. */
export interface CedarStatement {
  name: string;
  description: string;
  policy: string;
}

export interface TranslatedPolicies {
  statements: CedarStatement[];
  /** Rules the gate cannot enforce as written, and what was stored instead (if anything). */
  warnings: string[];
}

/** Targets that name every tool rather than one. */
const EVERY_TOOL = new Set(["all", "all_operations", "any", "*"]);
/** `use("web_search")`, `call("x")`, `tool("x")`: the argument is the tool's name. */
const TOOL_CALLS = new Set(["use", "call", "tool"]);
const ARGUMENT_ROOTS = new Set(["arguments", "args"]);

/** A Cedar string literal; Cedar escapes differ from JSON's for control and non-BMP characters. */
export function cedarString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += char;
  }
  return `${out}"`;
}

function cedarLiteral(value: JsonValue): string | undefined {
  if (typeof value === "string") return cedarString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** Tool names the targets stand for; null = every tool; undefined = not something the gate sees. */
function toolsOf(targets: readonly PolicyExpr[]): string[] | null | undefined {
  const tools: string[] = [];
  for (const target of targets) {
    let name: string | undefined;
    if (target.kind === "literal" && typeof target.value === "string") name = target.value;
    else if (target.kind === "path" && target.path.length === 1) name = target.path[0];
    else if (target.kind === "call" && target.target === null && TOOL_CALLS.has(target.function)) {
      const [arg] = target.args;
      if (target.args.length === 1 && arg?.kind === "literal" && typeof arg.value === "string")
        name = arg.value;
    }
    if (name === undefined) return undefined;
    if (EVERY_TOOL.has(name)) return null;
    tools.push(name);
  }
  return tools;
}

/** A value the gate's request context holds: `arguments.<name>` (one level) or `source`. */
function contextPath(path: readonly string[]): { guard: string | null; value: string } | undefined {
  if (path.length === 1 && path[0] === "source") return { guard: null, value: "context.source" };
  if (path.length === 2 && ARGUMENT_ROOTS.has(path[0] as string)) {
    const key = cedarString(path[1] as string);
    // A missing argument would be an evaluation error, which the gate reads as deny: `has` first.
    return { guard: `context.arguments has ${key}`, value: `context.arguments[${key}]` };
  }
  return undefined;
}

/** The condition in Cedar, or undefined when it speaks of what the gate does not see. */
function cedarCondition(expr: PolicyExpr): string | undefined {
  switch (expr.kind) {
    case "literal":
      return typeof expr.value === "boolean" ? String(expr.value) : undefined;
    case "compare": {
      const [pathSide, literalSide, flipped] =
        expr.left.kind === "path" ? [expr.left, expr.right, false] : [expr.right, expr.left, true];
      if (pathSide.kind !== "path" || literalSide.kind !== "literal") return undefined;
      const path = contextPath(pathSide.path);
      const literal = cedarLiteral(literalSide.value);
      if (!path || literal === undefined) return undefined;
      if (!["==", "!="].includes(expr.operator) && typeof literalSide.value !== "number") return undefined;
      const comparison = flipped
        ? `${literal} ${expr.operator} ${path.value}`
        : `${path.value} ${expr.operator} ${literal}`;
      return path.guard ? `(${path.guard} && ${comparison})` : `(${comparison})`;
    }
    case "and":
    case "or": {
      const parts = expr.operands.map(cedarCondition);
      if (parts.some((p) => p === undefined)) return undefined;
      return `(${parts.join(expr.kind === "and" ? " && " : " || ")})`;
    }
    case "not": {
      const inner = cedarCondition(expr.operand);
      return inner === undefined ? undefined : `!${inner}`;
    }
    default:
      return undefined;
  }
}

/**
 * The resource in the scope for one tool or every tool; several tools go in the condition instead,
 * since Cedar's scope takes one entity, not a set.
 */
function resourceParts(tools: readonly string[] | null): { scope: string; condition: string | null } {
  if (tools === null) return { scope: "resource", condition: null };
  if (tools.length === 1)
    return { scope: `resource == Tool::${cedarString(tools[0] as string)}`, condition: null };
  return {
    scope: "resource",
    condition: `[${tools.map((t) => `Tool::${cedarString(t)}`).join(", ")}].contains(resource)`,
  };
}

function requiredTools(rule: PolicyRule): string[] | null | undefined {
  const forActions = rule.settings?.for_actions;
  if (Array.isArray(forActions) && forActions.every((a) => typeof a === "string")) {
    return toolsOf(forActions.map((value) => ({ kind: "literal", value })));
  }
  return rule.targets.length > 0 ? toolsOf(rule.targets) : undefined;
}

/**
 * Compiles .symbi policy rules into Cedar statements for the agent, in the gate's terms: principal
 * Agent::"<id>", action call_tool, resource Tool::"<name>", context.source and context.arguments.
 * What the gate cannot see (the agent's input, topics, time) is never guessed at: an allow that
 * cannot be expressed is left out, so the gate keeps denying; a deny whose condition cannot be
 * expressed is stored without it, so it forbids more rather than less. Each such rule is a warning.
 */
export function translatePolicies(
  policies: readonly CompiledPolicy[],
  agentId: string,
  file: string,
): TranslatedPolicies {
  const statements: CedarStatement[] = [];
  const warnings: string[] = [];
  const principal = `principal == Agent::${cedarString(agentId)}`;
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const where = `policy ${policy.name} line ${rule.line}`;
      const warn = (message: string) => warnings.push(`warning[W0007]: ${where}: ${message}`);
      if (rule.effect === "audit") {
        warn("'audit' is not a gate decision; every tool call is recorded in its run's trace already");
        continue;
      }
      const tools = rule.effect === "require" ? requiredTools(rule) : toolsOf(rule.targets);
      if (tools === undefined) {
        warn(
          rule.effect === "deny"
            ? "its targets are not tool names the gate can match; not enforced"
            : "its targets are not tool names the gate can match; not stored, so the gate keeps denying them",
        );
        continue;
      }
      let condition = rule.condition === null ? null : cedarCondition(rule.condition);
      if (condition === undefined) {
        if (rule.effect !== "deny") {
          warn(
            "its condition reads values the gate does not see (only source and arguments.<name>); not stored, so the gate keeps denying",
          );
          continue;
        }
        warn("its condition reads values the gate does not see; stored as an unconditional forbid");
        condition = null;
      }
      const head =
        rule.effect === "deny"
          ? "forbid"
          : rule.effect === "require"
            ? '@approval("required") permit'
            : "permit";
      const resource = resourceParts(tools);
      const conditions = [resource.condition, condition].filter((c): c is string => c !== null);
      const when = conditions.length === 0 ? "" : ` when { ${conditions.join(" && ")} }`;
      statements.push({
        name: `${policy.name} (line ${rule.line})`,
        description: `Compiled from ${file}, ${where}: ${rule.effect}`,
        policy: `${head}(${principal}, action == Action::"call_tool", ${resource.scope})${when};`,
      });
    }
  }
  return { statements, warnings };
}
