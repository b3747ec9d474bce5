/**
 * The small template language of workflow steps: `{{ expr }}` inside text, and bare expressions for
 * conditions and lists. Parsed by hand, evaluated over plain data: there is no eval, no function call
 * and no way to reach anything but `params`, `steps`, `item` and `index`.
 *
 *   expr    := or
 *   or      := and (("or" | "||") and)*
 *   and     := not (("and" | "&&") not)*
 *   not     := ("not" | "!") not | compare
 *   compare := primary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "contains") primary)?
 *   primary := path | 'text' | "text" | number | true | false | null | "(" expr ")"
 *   path    := name ("." name | "[" integer "]")*
 */

export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

export type Expression =
  | { kind: "literal"; value: unknown }
  | { kind: "path"; root: string; segments: (string | number)[]; text: string }
  | { kind: "not"; operand: Expression }
  | { kind: "logic"; op: "and" | "or"; left: Expression; right: Expression }
  | { kind: "compare"; op: string; left: Expression; right: Expression };

export const ROOTS = new Set(["params", "steps", "item", "index"]);

type Token = { type: "name" | "number" | "string" | "op"; text: string; value?: unknown };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ type: "number", text: number[0], value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (name) {
      tokens.push({ type: "name", text: name[0] });
      i += name[0].length;
      continue;
    }
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      const end = rest.indexOf(quote, 1);
      if (end < 0) throw new TemplateError(`unterminated text literal at position ${i}`);
      tokens.push({ type: "string", text: rest.slice(0, end + 1), value: rest.slice(1, end) });
      i += end + 1;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[<>!.()[\]])/.exec(rest);
    if (op) {
      tokens.push({ type: "op", text: op[0] });
      i += op[0].length;
      continue;
    }
    throw new TemplateError(`unexpected character "${rest[0]}" at position ${i}`);
  }
  return tokens;
}

const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">=", "contains"]);

/** Parses one expression; errors say what was expected where. */
export function parseExpression(source: string): Expression {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const isOp = (...texts: string[]) => {
    const token = peek();
    return (
      token !== undefined && (token.type === "op" || token.type === "name") && texts.includes(token.text)
    );
  };

  const primary = (): Expression => {
    const token = next();
    if (!token) throw new TemplateError("the expression ends too early");
    if (token.type === "number" || token.type === "string") return { kind: "literal", value: token.value };
    if (token.type === "op" && token.text === "(") {
      const inner = or();
      if (next()?.text !== ")") throw new TemplateError('a "(" is never closed');
      return inner;
    }
    if (token.type === "name") {
      if (token.text === "true") return { kind: "literal", value: true };
      if (token.text === "false") return { kind: "literal", value: false };
      if (token.text === "null") return { kind: "literal", value: null };
      if (!ROOTS.has(token.text))
        throw new TemplateError(`unknown name "${token.text}"; use params, steps, item or index`);
      const segments: (string | number)[] = [];
      let text = token.text;
      for (;;) {
        if (isOp(".")) {
          next();
          const field = next();
          if (!field || (field.type !== "name" && field.type !== "number"))
            throw new TemplateError(`a field name must follow "${text}."`);
          segments.push(field.text);
          text += `.${field.text}`;
        } else if (isOp("[")) {
          next();
          const index = next();
          if (index?.type !== "number" || !Number.isInteger(index.value))
            throw new TemplateError(`an integer index must follow "${text}["`);
          if (next()?.text !== "]") throw new TemplateError(`"${text}[" is never closed`);
          segments.push(index.value as number);
          text += `[${index.text}]`;
        } else break;
      }
      return { kind: "path", root: token.text, segments, text };
    }
    throw new TemplateError(`unexpected "${token.text}"`);
  };
  const compare = (): Expression => {
    const left = primary();
    const token = peek();
    if (token && COMPARISONS.has(token.text)) {
      next();
      return { kind: "compare", op: token.text, left, right: primary() };
    }
    return left;
  };
  const not = (): Expression => {
    if (isOp("not", "!")) {
      next();
      return { kind: "not", operand: not() };
    }
    return compare();
  };
  const and = (): Expression => {
    let left = not();
    while (isOp("and", "&&")) {
      next();
      left = { kind: "logic", op: "and", left, right: not() };
    }
    return left;
  };
  const or = (): Expression => {
    let left = and();
    while (isOp("or", "||")) {
      next();
      left = { kind: "logic", op: "or", left, right: and() };
    }
    return left;
  };
  if (tokens.length === 0) throw new TemplateError("the expression is empty");
  const expression = or();
  const extra = peek();
  if (extra) throw new TemplateError(`unexpected "${extra.text}" after the expression`);
  return expression;
}

/** A piece of template text: literal text, or an expression between `{{ }}`. */
export type TemplatePart = { text: string } | { expression: Expression; source: string };

const TAG = /\{\{([\s\S]*?)\}\}/g;

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(TAG)) {
    if (match.index > last) parts.push({ text: template.slice(last, match.index) });
    const source = (match[1] as string).trim();
    try {
      parts.push({ expression: parseExpression(source), source });
    } catch (error) {
      throw new TemplateError(`{{ ${source} }}: ${(error as Error).message}`);
    }
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

/** Every path an expression reads (for validation: which steps and params it needs). */
export function pathsOf(expression: Expression): { root: string; segments: (string | number)[] }[] {
  switch (expression.kind) {
    case "literal":
      return [];
    case "path":
      return [expression];
    case "not":
      return pathsOf(expression.operand);
    default:
      return [...pathsOf(expression.left), ...pathsOf(expression.right)];
  }
}

/** Every path read by templates anywhere in a value (strings hold templates; objects and arrays nest). */
export function templatePaths(value: unknown): { root: string; segments: (string | number)[] }[] {
  if (typeof value === "string")
    return parseTemplate(value).flatMap((part) => ("expression" in part ? pathsOf(part.expression) : []));
  if (Array.isArray(value)) return value.flatMap(templatePaths);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(templatePaths);
  return [];
}

/** A parameter holding a secret reference: it is resolved only where a value is used, never stored. */
export class SecretPlaceholder {
  constructor(readonly reference: string) {}
}

export interface TemplateScope {
  params: Record<string, unknown>;
  /** Outputs of finished steps; a step not in here has not finished (or was skipped). */
  steps: Record<string, { output: unknown; status: string }>;
  item?: unknown;
  index?: number;
  isSecretReference: (text: string) => boolean;
}

function lookup(path: Extract<Expression, { kind: "path" }>, scope: TemplateScope): unknown {
  let value: unknown;
  let segments = path.segments;
  if (path.root === "params") value = scope.params;
  else if (path.root === "item") value = scope.item;
  else if (path.root === "index") value = scope.index;
  else {
    const id = String(segments[0] ?? "");
    const step = scope.steps[id];
    if (!step) throw new TemplateError(`${path.text}: step "${id}" has not produced an output`);
    value = { output: step.output, status: step.status };
    segments = segments.slice(1);
  }
  if ((path.root === "item" || path.root === "index") && value === undefined)
    throw new TemplateError(`${path.text}: "${path.root}" exists only inside a map step`);
  let walked = path.root === "steps" ? `steps.${String(path.segments[0])}` : path.root;
  for (const segment of segments) {
    if (typeof segment === "number") {
      if (!Array.isArray(value) || segment < 0 || segment >= value.length)
        throw new TemplateError(`${path.text}: ${walked} has no item [${segment}]`);
      value = value[segment];
      walked += `[${segment}]`;
    } else {
      if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment))
        throw new TemplateError(`${path.text}: ${walked} has no field "${segment}"`);
      value = (value as Record<string, unknown>)[segment];
      walked += `.${segment}`;
    }
  }
  if (path.root === "params") return markSecrets(value, scope);
  return value;
}

function markSecrets(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") return scope.isSecretReference(value) ? new SecretPlaceholder(value) : value;
  if (Array.isArray(value)) return value.map((v) => markSecrets(v, scope));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markSecrets(v, scope)]));
  return value;
}

const comparable = (value: unknown) => (value instanceof SecretPlaceholder ? value.reference : value);

export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object" && !(value instanceof SecretPlaceholder))
    return Object.keys(value).length > 0;
  return Boolean(comparable(value));
}

export function evaluate(expression: Expression, scope: TemplateScope): unknown {
  switch (expression.kind) {
    case "literal":
      return expression.value;
    case "path":
      return lookup(expression, scope);
    case "not":
      return !truthy(evaluate(expression.operand, scope));
    case "logic": {
      const left = truthy(evaluate(expression.left, scope));
      if (expression.op === "and") return left && truthy(evaluate(expression.right, scope));
      return left || truthy(evaluate(expression.right, scope));
    }
    case "compare": {
      const left = comparable(evaluate(expression.left, scope));
      const right = comparable(evaluate(expression.right, scope));
      switch (expression.op) {
        case "==":
          return JSON.stringify(left) === JSON.stringify(right);
        case "!=":
          return JSON.stringify(left) !== JSON.stringify(right);
        case "contains":
          if (typeof left === "string") return typeof right === "string" && left.includes(right);
          if (Array.isArray(left)) return left.some((v) => JSON.stringify(v) === JSON.stringify(right));
          throw new TemplateError("contains needs text or a list on its left");
        default: {
          const bothNumbers = typeof left === "number" && typeof right === "number";
          const bothText = typeof left === "string" && typeof right === "string";
          if (!bothNumbers && !bothText)
            throw new TemplateError(`${expression.op} compares two numbers or two texts`);
          const [a, b] = [left as number | string, right as number | string];
          if (expression.op === "<") return a < b;
          if (expression.op === "<=") return a <= b;
          if (expression.op === ">") return a > b;
          return a >= b;
        }
      }
    }
  }
}

/** How secret placeholders become text: resolved at the moment of use, or refused. */
export type SecretHandling = (placeholder: SecretPlaceholder) => Promise<string>;

async function resolveDeep(value: unknown, secrets: SecretHandling): Promise<unknown> {
  if (value instanceof SecretPlaceholder) return secrets(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDeep(v, secrets)));
  if (value !== null && typeof value === "object") {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v, secrets)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

const asText = (value: unknown) =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);

/**
 * Renders template text. One whole `{{ expr }}` keeps the value's type (a list stays a list); mixed
 * with text, values are written as text (objects as JSON).
 */
export async function renderTemplate(
  template: string,
  scope: TemplateScope,
  secrets: SecretHandling,
): Promise<unknown> {
  const parts = parseTemplate(template);
  const evaluated = async (part: Extract<TemplatePart, { expression: Expression }>) => {
    try {
      return await resolveDeep(evaluate(part.expression, scope), secrets);
    } catch (error) {
      throw new TemplateError(`{{ ${part.source} }}: ${(error as Error).message}`);
    }
  };
  const only = parts[0];
  if (parts.length === 1 && only && "expression" in only) return evaluated(only);
  let text = "";
  for (const part of parts) text += "expression" in part ? asText(await evaluated(part)) : part.text;
  return text;
}

/** Renders every string inside a value (a tool's arguments, a workflow's output). */
export async function renderValue(value: unknown, scope: TemplateScope, secrets: SecretHandling) {
  if (typeof value === "string") return renderTemplate(value, scope, secrets);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) out.push(await renderValue(v, scope, secrets));
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, scope, secrets);
    return out;
  }
  return value;
}

/** A bare expression's value (conditions, `over` lists), secrets left as their references. */
export function evaluateSource(source: string, scope: TemplateScope): unknown {
  let expression: Expression;
  try {
    expression = parseExpression(source.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1"));
  } catch (error) {
    throw new TemplateError(`${source}: ${(error as Error).message}`);
  }
  try {
    return unmark(evaluate(expression, scope));
  } catch (error) {
    throw new TemplateError(`${source}: ${(error as Error).message}`);
  }
}

function unmark(value: unknown): unknown {
  if (value instanceof SecretPlaceholder) return value.reference;
  if (Array.isArray(value)) return value.map(unmark);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unmark(v)]));
  return value;
}
