import type { Expr } from "./ast.js";
import type { Checker } from "./checker.js";
import type { JsonValue, PolicyExpr } from "./compiled.js";
import { printExpression } from "./print-expression.js";
import { DURATION_UNITS } from "./tokens.js";

export function sourceOf(expr: Expr, source: string): string {
  return printExpression(expr, 0, source, () => "{ … }");
}

/**
 * The plain value of a setting. Bare words (`provider slack`) are strings; anything computed
 * (`request.body`) is kept as `{ "$expression": "request.body" }` for the runtime to evaluate.
 */
export function staticValue(expr: Expr, source: string): JsonValue {
  switch (expr.kind) {
    case "String":
      return expr.value;
    case "Number":
      return expr.value;
    case "Boolean":
      return expr.value;
    case "Null":
      return null;
    case "Identifier":
      return expr.name;
    case "Duration":
    case "Size":
      return expr.raw;
    case "Array":
      return expr.elements.map((e) => staticValue(e, source));
    case "Record": {
      const record: Record<string, JsonValue> = {};
      for (const field of expr.fields) record[field.key] = staticValue(field.value, source);
      return record;
    }
    case "Group":
      return staticValue(expr.expression, source);
    case "Unary":
      if (expr.operator === "-" && expr.operand.kind === "Number") return -expr.operand.value;
      break;
    case "Member":
      // `FileSystem.Read`, a dotted name, reads as its text.
      if (isDottedName(expr)) return sourceOf(expr, source);
      break;
    default:
      break;
  }
  return { $expression: sourceOf(expr, source) };
}

function isDottedName(expr: Expr): boolean {
  if (expr.kind === "Identifier") return true;
  return expr.kind === "Member" && isDottedName(expr.object);
}

const WORD_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  second: 1000,
  seconds: 1000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
  year: 31_536_000_000,
  years: 31_536_000_000,
};

/** Milliseconds of `30s`, `30.seconds`, `"30s"`, or a bare number (already milliseconds); null otherwise. */
export function durationOf(expr: Expr): number | null {
  if (expr.kind === "Duration") return expr.milliseconds;
  if (expr.kind === "Number") return expr.value;
  if (expr.kind === "Member" && expr.object.kind === "Number") {
    const unit = WORD_UNITS[expr.property];
    return unit === undefined ? null : expr.object.value * unit;
  }
  if (expr.kind === "String") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/.exec(expr.value);
    const unit = match ? (DURATION_UNITS[match[2]!] ?? WORD_UNITS[match[2]!]) : undefined;
    if (match && unit !== undefined) return Number(match[1]) * unit;
  }
  return null;
}

const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** A condition or rule target in the policy gate's data form; reports what cannot be one. */
export function policyExpr(expr: Expr, checker: Checker): PolicyExpr {
  switch (expr.kind) {
    case "String":
    case "Number":
    case "Boolean":
      return { kind: "literal", value: expr.value };
    case "Null":
      return { kind: "literal", value: null };
    case "Duration":
      return { kind: "duration", milliseconds: expr.milliseconds, raw: expr.raw };
    case "Size":
      return { kind: "size", bytes: expr.bytes, raw: expr.raw };
    case "Identifier":
      return { kind: "path", path: [expr.name] };
    case "Group":
      return policyExpr(expr.expression, checker);
    case "Member": {
      const object = policyExpr(expr.object, checker);
      if (object.kind === "path") return { kind: "path", path: [...object.path, expr.property] };
      return { kind: "index", target: object, index: { kind: "literal", value: expr.property } };
    }
    case "Index":
      return {
        kind: "index",
        target: policyExpr(expr.object, checker),
        index: policyExpr(expr.index, checker),
      };
    case "Call": {
      const args = expr.args.map((a) => policyExpr(a.value, checker));
      if (expr.callee.kind === "Identifier")
        return { kind: "call", function: expr.callee.name, target: null, args };
      if (expr.callee.kind === "Member") {
        return {
          kind: "call",
          function: expr.callee.property,
          target: policyExpr(expr.callee.object, checker),
          args,
        };
      }
      break;
    }
    case "Unary":
      if (expr.operator === "!") return { kind: "not", operand: policyExpr(expr.operand, checker) };
      if (expr.operand.kind === "Number") return { kind: "literal", value: -expr.operand.value };
      return {
        kind: "arithmetic",
        operator: "-",
        left: { kind: "literal", value: 0 },
        right: policyExpr(expr.operand, checker),
      };
    case "Binary": {
      const left = policyExpr(expr.left, checker);
      const right = policyExpr(expr.right, checker);
      if (expr.operator === "&&" || expr.operator === "||") {
        const kind = expr.operator === "&&" ? "and" : "or";
        const flatten = (e: PolicyExpr) =>
          e.kind === kind ? (e as { operands: PolicyExpr[] }).operands : [e];
        return { kind, operands: [...flatten(left), ...flatten(right)] };
      }
      if (COMPARISONS.has(expr.operator)) {
        return { kind: "compare", operator: expr.operator as "==", left, right };
      }
      return { kind: "arithmetic", operator: expr.operator as "+", left, right };
    }
    case "Array":
      return { kind: "list", items: expr.elements.map((e) => policyExpr(e, checker)) };
    case "Record": {
      const fields: Record<string, PolicyExpr> = {};
      for (const field of expr.fields) fields[field.key] = policyExpr(field.value, checker);
      return { kind: "record", fields };
    }
    default:
      break;
  }
  checker.error(
    "E2008",
    `a ${expr.kind === "Lambda" ? "lambda" : expr.kind === "Propagate" ? "'?' expression" : "computed call"} cannot appear in a policy`,
    expr.span,
    "policies hold names, fields, literals, comparisons, '&&', '||', '!' and calls",
  );
  return { kind: "literal", value: null };
}
