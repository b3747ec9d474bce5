import type { Expr, TypeRef } from "./ast.js";

export const INDENT = "    ";
const MAX_FLAT = 80;

export type BlockPrinter = (
  block: Extract<Expr, { kind: "Lambda" }>["body"] & { kind: "Block" },
  depth: number,
) => string;

/** How a string is written back: the shortest escape for each character the lexer understands. */
export function quote(value: string): string {
  let out = '"';
  for (const char of value) {
    switch (char) {
      case '"':
        out += '\\"';
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\0":
        out += "\\0";
        break;
      default: {
        const code = char.codePointAt(0) ?? 0;
        out += code < 0x20 || code === 0x7f ? `\\u{${code.toString(16)}}` : char;
      }
    }
  }
  return `${out}"`;
}

export function printType(type: TypeRef): string {
  const args = type.args.length > 0 ? `<${type.args.map(printType).join(", ")}>` : "";
  return `${type.name}${args}${type.optional ? "?" : ""}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Prints an expression at nesting `depth` (for the lines of multi-line lists and records). Lists
 * and records written over several lines stay that way, as do ones too long for one line.
 */
export function printExpression(expr: Expr, depth: number, source: string, block: BlockPrinter): string {
  const print = (e: Expr, d = depth) => printExpression(e, d, source, block);
  switch (expr.kind) {
    case "Identifier":
      return expr.name;
    case "String":
      return expr.triple ? `"""${expr.value}"""` : quote(expr.value);
    case "Number":
      return expr.raw;
    case "Duration":
    case "Size":
      return expr.raw;
    case "Boolean":
      return String(expr.value);
    case "Null":
      return "null";
    case "Group":
      return `(${print(expr.expression)})`;
    case "Unary":
      return `${expr.operator}${print(expr.operand)}`;
    case "Binary":
      return `${print(expr.left)} ${expr.operator} ${print(expr.right)}`;
    case "Member":
      return `${print(expr.object)}.${expr.property}`;
    case "Index":
      return `${print(expr.object)}[${print(expr.index)}]`;
    case "Propagate":
      return `${print(expr.operand)}?`;
    case "Call":
      return `${print(expr.callee)}(${expr.args
        .map((arg) => (arg.name ? `${arg.name}: ${print(arg.value)}` : print(arg.value)))
        .join(", ")})`;
    case "Lambda": {
      const params = expr.parenthesized ? `(${expr.params.join(", ")})` : (expr.params[0] ?? "");
      const body = expr.body.kind === "Block" ? block(expr.body, depth) : print(expr.body as Expr);
      return `${params} -> ${body}`;
    }
    case "Array":
      return list(
        "[",
        "]",
        expr.elements.map((e) => (d: number) => print(e, d)),
        depth,
        multiline(source, expr),
      );
    case "Record": {
      const fields = expr.fields.map((f) => (d: number) => {
        const key = f.quoted || !IDENTIFIER.test(f.key) ? quote(f.key) : f.key;
        return `${key}: ${print(f.value, d)}`;
      });
      const prefix = expr.typeName ? `${expr.typeName} ` : "";
      return `${prefix}${list("{", "}", fields, depth, multiline(source, expr), expr.fields.length > 0)}`;
    }
  }
}

function multiline(source: string, expr: Expr): boolean {
  return source.slice(expr.span.start, expr.span.end).includes("\n");
}

function list(
  open: string,
  close: string,
  parts: ((depth: number) => string)[],
  depth: number,
  wasMultiline: boolean,
  padded = false,
): string {
  if (parts.length === 0) return `${open}${close}`;
  const flatParts = parts.map((part) => part(depth));
  const inner = flatParts.join(", ");
  const flat = padded ? `${open} ${inner} ${close}` : `${open}${inner}${close}`;
  if (!wasMultiline && flat.length <= MAX_FLAT && !inner.includes("\n")) return flat;
  const pad = INDENT.repeat(depth + 1);
  const lines = parts.map((part, i) => `${pad}${part(depth + 1)}${i < parts.length - 1 ? "," : ""}`);
  return `${open}\n${lines.join("\n")}\n${INDENT.repeat(depth)}${close}`;
}
