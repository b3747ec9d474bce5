import type {
  Block,
  BodyItem,
  Expr,
  IfStatement,
  Item,
  Param,
  PolicyRule,
  Program,
  Statement,
} from "./ast.js";
import { type Diagnostic, isError } from "./diagnostics.js";
import { parse } from "./parser.js";
import { INDENT, printExpression, printType } from "./print-expression.js";
import type { Span } from "./source.js";
import type { Comment } from "./tokens.js";

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Formats a .symbi source: four-space indentation, one space around operators, one blank line
 * between definitions, comments kept (a comment inside an expression moves above its statement).
 * Refuses sources with syntax errors rather than guessing at their meaning.
 */
export function format(text: string): FormatResult {
  const parsed = parse(text);
  const errors = parsed.diagnostics.filter(isError);
  if (errors.length > 0) return { ok: false, diagnostics: errors };
  return { ok: true, text: printProgram(parsed.program, parsed.comments, text) };
}

export function printProgram(program: Program, comments: readonly Comment[], source: string): string {
  const writer = new Writer(source, comments);
  program.items.forEach((item, i) => {
    if (i > 0) writer.blank();
    printItem(writer, item);
  });
  writer.leading(source.length + 1);
  return `${writer.lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/** Lines at an indentation, with the source's comments woven in by position. */
class Writer {
  readonly lines: string[] = [];
  depth = 0;
  private next = 0;
  private lastEnd = 0;

  constructor(
    readonly source: string,
    private readonly comments: readonly Comment[],
  ) {}

  private get pad(): string {
    return INDENT.repeat(this.depth);
  }

  blank(): void {
    if (this.lines.length > 0 && this.lines.at(-1) !== "") this.lines.push("");
  }

  /** Keeps one blank line where the author left one. */
  private gap(offset: number): void {
    const last = this.lines.at(-1);
    if (last === undefined || last === "" || last.endsWith("{")) return;
    if (/\n[ \t\r]*\n/.test(this.source.slice(this.lastEnd, offset))) this.lines.push("");
  }

  /** Comments that start before `offset`, each on its own line. */
  leading(offset: number): void {
    while (this.next < this.comments.length && this.comments[this.next]!.span.start < offset) {
      const comment = this.comments[this.next++]!;
      this.gap(comment.span.start);
      this.lines.push(`${this.pad}${comment.text.trimEnd()}`);
      this.lastEnd = comment.span.end;
    }
  }

  /** A comment after `end` on the same line stays at the end of that line. */
  private trailing(end: number): void {
    const comment = this.comments[this.next];
    if (!comment || comment.span.start < end || this.source.slice(end, comment.span.start).includes("\n"))
      return;
    if (comment.text.startsWith("/*") && comment.text.includes("\n")) return;
    this.lines[this.lines.length - 1] += ` ${comment.text.trimEnd()}`;
    this.lastEnd = comment.span.end;
    this.next++;
  }

  /** A one-piece item: comments inside it move above it. */
  item(span: Span, text: string): void {
    this.leading(span.end);
    this.gap(span.start);
    this.lines.push(`${this.pad}${text}`);
    this.lastEnd = span.end;
    this.trailing(span.end);
  }

  /** Opens a compound item (`header {`); its contents follow, then `close`. */
  open(span: Span, header: string): void {
    this.leading(span.start);
    this.gap(span.start);
    this.lines.push(`${this.pad}${header}`);
    this.lastEnd = span.start;
    this.depth++;
  }

  close(span: Span, footer = "}"): void {
    this.leading(span.end - 1);
    this.depth--;
    this.lines.push(`${this.pad}${footer}`);
    this.lastEnd = span.end;
    this.trailing(span.end);
  }

  expr(expression: Expr): string {
    return printExpression(expression, this.depth, this.source, (block, depth) =>
      this.inlineBlock(block, depth),
    );
  }

  /** A block inside an expression (a lambda body); its comments were already moved above. */
  inlineBlock(block: Block, depth: number): string {
    if (block.statements.length === 0) return "{}";
    const inner = new Writer(this.source, []);
    inner.depth = depth + 1;
    inner.lastEnd = block.span.start;
    for (const statement of block.statements) printStatement(inner, statement);
    return `{\n${inner.lines.join("\n")}\n${INDENT.repeat(depth)}}`;
  }
}

function params(list: Param[], writer: Writer): string {
  return list
    .map(
      (p) =>
        `${p.name}${p.type ? `: ${printType(p.type)}` : ""}${p.default ? ` = ${writer.expr(p.default)}` : ""}`,
    )
    .join(", ");
}

function printItem(writer: Writer, item: Item): void {
  switch (item.kind) {
    case "BlockDecl":
      printBody(writer, item.span, `${item.keyword}${item.name ? ` ${item.name}` : ""}`, item.body);
      return;
    case "Agent": {
      const signature = item.params === null ? "" : `(${params(item.params, writer)})`;
      const returns = item.returns ? ` -> ${printType(item.returns)}` : "";
      printBody(writer, item.span, `agent ${item.name}${signature}${returns}`, item.body);
      return;
    }
    case "Policy":
    case "Function":
      printBodyItem(writer, item, 0);
      return;
    case "TypeDecl":
      if (item.value.kind === "TypeRef") {
        writer.item(item.span, `type ${item.name} = ${printType(item.value)}`);
        return;
      }
      writer.open(item.span, `type ${item.name} = {`);
      item.value.fields.forEach((field, i) => {
        const comma = i < (item.value as { fields: unknown[] }).fields.length - 1 ? "," : "";
        writer.item(field.span, `${field.name}: ${printType(field.type)}${comma}`);
      });
      writer.close(item.span);
      return;
  }
}

function printBody(writer: Writer, span: Span, header: string, body: BodyItem[]): void {
  writer.open(span, `${header} {`);
  // Values written `key value` line up in a column, as in the language's own examples.
  const width = Math.max(
    0,
    ...body.map((i) => (i.kind === "Entry" && i.separator === " " ? i.key.length : 0)),
  );
  for (const item of body) printBodyItem(writer, item, width);
  writer.close(span);
}

function printBodyItem(writer: Writer, item: BodyItem, width: number): void {
  switch (item.kind) {
    case "Entry": {
      const value = writer.expr(item.value);
      const text =
        item.separator === " "
          ? `${item.key.padEnd(width)} ${value}`
          : item.separator === ":"
            ? `${item.key}: ${value}`
            : `${item.key} = ${value}`;
      writer.item(item.span, text);
      return;
    }
    case "Section":
      printBody(writer, item.span, `${item.key}${item.label ? ` ${item.label}` : ""}`, item.body);
      return;
    case "Policy":
      writer.open(item.span, `policy ${item.name} {`);
      for (const rule of item.rules) writer.item(rule.span, printRule(writer, rule));
      writer.close(item.span);
      return;
    case "With": {
      const options = item.options.map((o) => (o.value ? `${o.name} = ${writer.expr(o.value)}` : o.name));
      const flat = `with ${options.join(", ")} {`;
      if (flat.length + writer.depth * INDENT.length <= 100 && !flat.includes("\n")) {
        writer.open(item.span, flat);
      } else {
        writer.open(item.span, "with");
        options.forEach((option, i) => {
          writer.lines.push(`${INDENT.repeat(writer.depth)}${option}${i < options.length - 1 ? "," : ""}`);
        });
        writer.depth--;
        writer.lines.push(`${INDENT.repeat(writer.depth)}{`);
        writer.depth++;
      }
      printStatements(writer, item.body);
      writer.close(item.span);
      return;
    }
    case "Action":
      writer.open(item.span, `action ${item.name} {`);
      printStatements(writer, item.body);
      writer.close(item.span);
      return;
    case "Function": {
      const returns = item.returns ? ` -> ${printType(item.returns)}` : "";
      writer.open(item.span, `function ${item.name}(${params(item.params, writer)})${returns} {`);
      printStatements(writer, item.body);
      writer.close(item.span);
      return;
    }
  }
}

function printRule(writer: Writer, rule: PolicyRule): string {
  const condition = rule.condition ? ` if ${writer.expr(rule.condition)}` : "";
  const modifier = rule.modifier ? ` with ${rule.modifier}` : "";
  return `${rule.effect}: ${writer.expr(rule.value)}${condition}${modifier}`;
}

function printStatements(writer: Writer, block: Block): void {
  for (const statement of block.statements) printStatement(writer, statement);
}

/** `{ … }` after a header already written; used by if/for/while/try. */
function printStatement(writer: Writer, statement: Statement): void {
  switch (statement.kind) {
    case "Let": {
      const type = statement.type ? `: ${printType(statement.type)}` : "";
      writer.item(statement.span, `let ${statement.name}${type} = ${writer.expr(statement.value)}`);
      return;
    }
    case "Assign":
      writer.item(
        statement.span,
        `${writer.expr(statement.target)} ${statement.operator} ${writer.expr(statement.value)}`,
      );
      return;
    case "Return":
      writer.item(statement.span, statement.value ? `return ${writer.expr(statement.value)}` : "return");
      return;
    case "ExpressionStatement":
      writer.item(statement.span, writer.expr(statement.expression));
      return;
    case "If": {
      writer.open(statement.span, `if ${writer.expr(statement.condition)} {`);
      let current: IfStatement = statement;
      for (;;) {
        printStatements(writer, current.then);
        const otherwise: IfStatement["otherwise"] = current.otherwise;
        if (otherwise === null) break;
        writer.leading(otherwise.span.start);
        writer.depth--;
        if (otherwise.kind === "If") {
          writer.lines.push(`${INDENT.repeat(writer.depth)}} else if ${writer.expr(otherwise.condition)} {`);
          writer.depth++;
          current = otherwise;
        } else {
          writer.lines.push(`${INDENT.repeat(writer.depth)}} else {`);
          writer.depth++;
          printStatements(writer, otherwise);
          break;
        }
      }
      writer.close(statement.span);
      return;
    }
    case "For":
      writer.open(statement.span, `for ${statement.binding} in ${writer.expr(statement.iterable)} {`);
      printStatements(writer, statement.body);
      writer.close(statement.span);
      return;
    case "While":
      writer.open(statement.span, `while ${writer.expr(statement.condition)} {`);
      printStatements(writer, statement.body);
      writer.close(statement.span);
      return;
    case "Match":
      writer.open(statement.span, `match ${writer.expr(statement.subject)} {`);
      for (const arm of statement.arms) {
        const body =
          arm.body.kind === "Block" ? writer.inlineBlock(arm.body, writer.depth) : writer.expr(arm.body);
        writer.item(arm.span, `${writer.expr(arm.pattern)} -> ${body}`);
      }
      writer.close(statement.span);
      return;
    case "Try": {
      writer.open(statement.span, "try {");
      printStatements(writer, statement.body);
      for (const clause of statement.catches) {
        writer.leading(clause.span.start);
        writer.depth--;
        const head = clause.type
          ? ` (${clause.type} ${clause.binding ?? ""})`
          : clause.binding
            ? ` ${clause.binding}`
            : "";
        writer.lines.push(`${INDENT.repeat(writer.depth)}} catch${head.replace(/ \)$/, ")")} {`);
        writer.depth++;
        printStatements(writer, clause.body);
      }
      writer.close(statement.span);
      return;
    }
  }
}
