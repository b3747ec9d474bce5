import type {
  ActionDecl,
  BodyItem,
  Entry,
  Expr,
  FunctionDecl,
  PolicyDecl,
  Section,
  WithBlock,
} from "./ast.js";
import { type Checker, unknownKeyHint } from "./checker.js";
import type { JsonValue } from "./compiled.js";
import type { Span } from "./source.js";
import { staticValue } from "./values.js";

/** Reads the settings of a body once each, typed, and reports duplicates, unknown keys and bad values. */
export class BodyReader {
  readonly entries = new Map<string, Entry | Section>();
  readonly sections: Section[] = [];
  readonly policies: PolicyDecl[] = [];
  readonly withBlocks: WithBlock[] = [];
  readonly actions: ActionDecl[] = [];
  readonly functions: FunctionDecl[] = [];
  private readonly taken = new Set<string>();

  constructor(
    items: readonly BodyItem[],
    private readonly checker: Checker,
    private readonly source: string,
    private readonly owner: string,
    /** Section keys that may repeat (`trigger a { } trigger b { }`). */
    repeatable: readonly string[] = [],
  ) {
    for (const item of items) {
      if (item.kind === "Policy") this.policies.push(item);
      else if (item.kind === "With") this.withBlocks.push(item);
      else if (item.kind === "Action") this.actions.push(item);
      else if (item.kind === "Function") this.functions.push(item);
      else if (item.kind === "Section" && (item.label !== null || repeatable.includes(item.key)))
        this.sections.push(item);
      else if (this.entries.has(item.key)) {
        checker.error("E2001", `'${item.key}' is set twice in ${owner}`, item.keySpan, "keep one of them");
      } else {
        this.entries.set(item.key, item);
      }
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  entry(key: string): Entry | Section | undefined {
    this.taken.add(key);
    return this.entries.get(key);
  }

  /** Where the value of `key` is written (its key for a section); undefined when absent. */
  valueSpan(key: string): Span | undefined {
    const item = this.entries.get(key);
    return item ? (item.kind === "Entry" ? item.value.span : item.keySpan) : undefined;
  }

  /** The value expression of `key`, or undefined; a section where a value belongs is an error. */
  expr(key: string): Expr | undefined {
    const item = this.entry(key);
    if (!item) return undefined;
    if (item.kind === "Section") {
      this.checker.error("E2002", `'${key}' in ${this.owner} takes a value, not a block`, item.keySpan);
      return undefined;
    }
    return item.value;
  }

  section(key: string): Section | undefined {
    const item = this.entry(key);
    if (!item) return undefined;
    if (item.kind !== "Section") {
      this.checker.error("E2002", `'${key}' in ${this.owner} is a block: write ${key} { … }`, item.keySpan);
      return undefined;
    }
    return item;
  }

  /** A string; bare words count when `bare` (as in `provider slack`). */
  text(key: string, options: { bare?: boolean } = {}): string | undefined {
    const value = this.expr(key);
    if (!value) return undefined;
    if (value.kind === "String") return value.value;
    if (options.bare && value.kind === "Identifier") return value.name;
    this.checker.error(
      "E2002",
      `'${key}' in ${this.owner} must be a string${options.bare ? " or a name" : ""}`,
      value.span,
    );
    return undefined;
  }

  number(key: string, bounds: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    const value = this.expr(key);
    if (!value) return undefined;
    return numberIn(value, key, this.owner, bounds, this.checker);
  }

  boolean(key: string): boolean | undefined {
    const value = this.expr(key);
    if (!value) return undefined;
    if (value.kind === "Boolean") return value.value;
    this.checker.error("E2002", `'${key}' in ${this.owner} must be true or false`, value.span);
    return undefined;
  }

  strings(key: string): string[] | undefined {
    const value = this.expr(key);
    if (!value) return undefined;
    return stringList(value, key, this.owner, this.checker, this.source);
  }

  /** Warns about keys nobody reads; `known` lists the ones this block understands. */
  warnUnknown(known: readonly string[]): void {
    for (const [key, item] of this.entries) {
      if (!known.includes(key)) {
        this.checker.warn(
          "W0003",
          `unknown key '${key}' in ${this.owner}`,
          item.keySpan,
          unknownKeyHint(key, known),
        );
      }
    }
  }

  /** Everything not read through a typed accessor, as plain values. */
  rest(): Record<string, JsonValue> {
    const settings: Record<string, JsonValue> = {};
    for (const [key, item] of this.entries) {
      if (this.taken.has(key)) continue;
      settings[key] =
        item.kind === "Entry" ? staticValue(item.value, this.source) : sectionValue(item, this.source);
    }
    return settings;
  }
}

/** A section as a plain object; nested sections become nested objects. */
export function sectionValue(section: Section, source: string): Record<string, JsonValue> {
  const value: Record<string, JsonValue> = {};
  for (const item of section.body) {
    if (item.kind === "Entry") value[item.key] = staticValue(item.value, source);
    else if (item.kind === "Section")
      value[item.label ? `${item.key} ${item.label}` : item.key] = sectionValue(item, source);
  }
  return value;
}

export function numberIn(
  value: Expr,
  key: string,
  owner: string,
  bounds: { min?: number; max?: number; integer?: boolean },
  checker: Checker,
): number | undefined {
  const n =
    value.kind === "Number"
      ? value.value
      : value.kind === "Unary" && value.operand.kind === "Number" && value.operator === "-"
        ? -value.operand.value
        : undefined;
  const range =
    bounds.min !== undefined && bounds.max !== undefined
      ? ` between ${bounds.min} and ${bounds.max}`
      : bounds.min !== undefined
        ? ` of at least ${bounds.min}`
        : "";
  const kind = bounds.integer ? "a whole number" : "a number";
  if (
    n === undefined ||
    (bounds.integer && !Number.isInteger(n)) ||
    (bounds.min !== undefined && n < bounds.min) ||
    (bounds.max !== undefined && n > bounds.max)
  ) {
    checker.error("E2002", `'${key}' in ${owner} must be ${kind}${range}`, value.span);
    return undefined;
  }
  return n;
}

export function stringList(
  value: Expr,
  key: string,
  owner: string,
  checker: Checker,
  source: string,
): string[] | undefined {
  if (value.kind !== "Array") {
    checker.error("E2002", `'${key}' in ${owner} must be a list, like ["a", "b"]`, value.span);
    return undefined;
  }
  const out: string[] = [];
  for (const element of value.elements) {
    const plain = staticValue(element, source);
    if (typeof plain !== "string") {
      checker.error("E2002", `'${key}' in ${owner} must list names or strings`, element.span);
      return undefined;
    }
    out.push(plain);
  }
  return out;
}

export const spanOf = (item: { span: Span }) => item.span;
