import type { PolicyDecl, PolicyRule as RuleNode } from "./ast.js";
import type { Checker } from "./checker.js";
import type { CompiledPolicy, JsonValue, PolicyExpr, PolicyRule } from "./compiled.js";
import type { SourceText } from "./source.js";
import { policyExpr, staticValue } from "./values.js";

function targetName(target: PolicyExpr): string | undefined {
  if (target.kind === "literal" && typeof target.value === "string") return target.value;
  if (target.kind === "path" && target.path.length === 1) return target.path[0];
  if (target.kind === "call" && target.target === null) return target.function;
  return undefined;
}

function compileRule(rule: RuleNode, checker: Checker, source: SourceText): PolicyRule {
  const line = source.position(rule.span.start).line;
  const condition = rule.condition ? policyExpr(rule.condition, checker) : null;
  if (rule.value.kind === "Record") {
    const settings = staticValue(rule.value, source.text) as Record<string, JsonValue>;
    return {
      effect: rule.effect as PolicyRule["effect"],
      targets: [],
      actions: [],
      condition,
      settings,
      modifier: rule.modifier,
      line,
    };
  }
  const values = rule.value.kind === "Array" ? rule.value.elements : [rule.value];
  const targets = values.map((v) => policyExpr(v, checker));
  const actions = targets.map(targetName).filter((name): name is string => name !== undefined);
  return {
    effect: rule.effect as PolicyRule["effect"],
    targets,
    actions,
    condition,
    settings: null,
    modifier: rule.modifier,
    line,
  };
}

/** A policy block in the gate's form: ordered rules, each an effect, its targets and a condition. */
export function compilePolicy(policy: PolicyDecl, checker: Checker, source: SourceText): CompiledPolicy {
  const rules: PolicyRule[] = [];
  let conditions: Record<string, JsonValue> = {};
  for (const rule of policy.rules) {
    if (rule.effect === "conditions") {
      if (rule.value.kind !== "Record") {
        checker.error(
          "E2002",
          `'conditions' in policy ${policy.name} must be a record, like { key: value }`,
          rule.value.span,
        );
        continue;
      }
      conditions = { ...conditions, ...(staticValue(rule.value, source.text) as Record<string, JsonValue>) };
      continue;
    }
    rules.push(compileRule(rule, checker, source));
  }
  return { name: policy.name, rules, conditions };
}

/** Two policies of one name in one scope would shadow each other. */
export function compilePolicies(
  policies: readonly PolicyDecl[],
  checker: Checker,
  source: SourceText,
): CompiledPolicy[] {
  const seen = new Set<string>();
  const out: CompiledPolicy[] = [];
  for (const policy of policies) {
    if (seen.has(policy.name)) {
      checker.error("E2001", `policy '${policy.name}' is defined twice here`, policy.nameSpan);
      continue;
    }
    seen.add(policy.name);
    out.push(compilePolicy(policy, checker, source));
  }
  return out;
}
