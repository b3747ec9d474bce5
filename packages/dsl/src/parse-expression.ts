import type { BinaryOperator, CallArgument, Expr, RecordField } from "./ast.js";
import { parseBlock } from "./parse-statement.js";
import { type ParserState, RESERVED } from "./parser-state.js";
import { DURATION_UNITS, describeToken, SIZE_UNITS } from "./tokens.js";

const PRECEDENCE: Readonly<Record<string, number>> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

export interface ExpressionOptions {
  /**
   * In `if x {`, `for a in b {` and `with k = v {` a `{` opens the block, not a record. A record is
   * still recognised when it cannot be a block: `{}` followed by `{` or `,`, or `{ key:`.
   */
  noRecord?: boolean;
}

export function parseExpression(p: ParserState, options: ExpressionOptions = {}): Expr {
  p.enter();
  try {
    const lambda = tryLambda(p);
    if (lambda) return lambda;
    return parseBinary(p, 1, options);
  } finally {
    p.leave();
  }
}

/** `x -> x + 1`, `(a, b) -> a + b`, `() -> { … }`. */
function tryLambda(p: ParserState): Expr | undefined {
  const start = p.current;
  if (
    start.kind === "identifier" &&
    !RESERVED.has(start.text) &&
    p.isPunct("->", p.peek()) &&
    !p.peek().lineBreakBefore
  ) {
    p.advance();
    p.advance();
    return {
      kind: "Lambda",
      params: [start.text],
      parenthesized: false,
      body: lambdaBody(p),
      span: p.spanFrom(start),
    };
  }
  if (!p.isPunct("(")) return undefined;
  const params: string[] = [];
  let offset = 1;
  if (!p.isPunct(")", p.peek(offset))) {
    for (;;) {
      const name = p.peek(offset);
      if (name.kind !== "identifier" || RESERVED.has(name.text)) return undefined;
      params.push(name.text);
      offset++;
      if (p.isPunct(",", p.peek(offset))) offset++;
      else break;
    }
  }
  if (!p.isPunct(")", p.peek(offset)) || !p.isPunct("->", p.peek(offset + 1))) return undefined;
  for (let i = 0; i < offset + 2; i++) p.advance();
  return { kind: "Lambda", params, parenthesized: true, body: lambdaBody(p), span: p.spanFrom(start) };
}

function lambdaBody(p: ParserState) {
  return p.isPunct("{") && !recordAhead(p) ? parseBlock(p) : parseExpression(p);
}

/** Binary operators, left-associative by precedence climbing. Each operator in a chain counts as a nesting level. */
export function parseBinary(p: ParserState, minPrecedence: number, options: ExpressionOptions = {}): Expr {
  let left = parseUnary(p, options);
  let chained = 0;
  try {
    for (;;) {
      const token = p.current;
      const precedence = token.kind === "punct" ? PRECEDENCE[token.text] : undefined;
      // An operator must stay on its left operand's line, so a line starting with `-x` is a new statement.
      if (precedence === undefined || precedence < minPrecedence || token.lineBreakBefore) return left;
      p.advance();
      p.enter();
      chained++;
      const right = parseBinary(p, precedence + 1, options);
      left = {
        kind: "Binary",
        operator: token.text as BinaryOperator,
        left,
        right,
        span: { start: left.span.start, end: right.span.end },
      };
    }
  } finally {
    p.leave(chained);
  }
}

function parseUnary(p: ParserState, options: ExpressionOptions): Expr {
  const token = p.current;
  if (p.isPunct("!") || p.isPunct("-")) {
    p.advance();
    p.enter();
    try {
      const operand = parseUnary(p, options);
      return { kind: "Unary", operator: token.text as "!" | "-", operand, span: p.spanFrom(token) };
    } finally {
      p.leave();
    }
  }
  return parsePostfix(p, options);
}

function parsePostfix(p: ParserState, options: ExpressionOptions): Expr {
  let expression = parsePrimary(p, options);
  let chained = 0;
  try {
    for (;;) {
      const token = p.current;
      if (p.isPunct(".")) {
        p.advance();
        const name = p.current;
        if (name.kind !== "identifier") {
          p.fail(`expected a field or method name after '.', found ${describeToken(name)}`, {
            expected: ["a name"],
          });
        }
        p.advance();
        expression = {
          kind: "Member",
          object: expression,
          property: name.text,
          span: p.spanFrom(expression.span),
        };
      } else if (p.isPunct("(") && !token.lineBreakBefore) {
        p.advance();
        const args = parseArguments(p);
        expression = { kind: "Call", callee: expression, args, span: p.spanFrom(expression.span) };
      } else if (p.isPunct("[") && !token.lineBreakBefore) {
        p.advance();
        const index = parseExpression(p);
        p.expect("]", "to close the index");
        expression = { kind: "Index", object: expression, index, span: p.spanFrom(expression.span) };
      } else if (p.isPunct("?") && !token.lineBreakBefore) {
        p.advance();
        expression = { kind: "Propagate", operand: expression, span: p.spanFrom(expression.span) };
      } else {
        return expression;
      }
      p.enter();
      chained++;
    }
  } finally {
    p.leave(chained);
  }
}

function parseArguments(p: ParserState): CallArgument[] {
  const args: CallArgument[] = [];
  while (!p.isPunct(")")) {
    if (p.atEnd())
      p.fail("expected ')' to close the argument list, found end of file", { expected: ["')'"] });
    const named =
      p.current.kind === "identifier" && p.isPunct(":", p.peek()) && !RESERVED.has(p.current.text);
    let name: string | null = null;
    if (named) {
      name = p.advance().text;
      p.advance();
    }
    args.push({ name, value: parseExpression(p) });
    if (!p.accept(",")) break;
  }
  p.expect(")", "to close the argument list");
  return args;
}

/** Whether a `{` in a no-record position still starts a record (see ExpressionOptions). */
export function recordAhead(p: ParserState): boolean {
  const first = p.peek();
  if (p.isPunct("}", first)) return p.isPunct("{", p.peek(2)) || p.isPunct(",", p.peek(2));
  return (first.kind === "identifier" || first.kind === "string") && p.isPunct(":", p.peek(2));
}

function parsePrimary(p: ParserState, options: ExpressionOptions): Expr {
  const token = p.current;
  switch (token.kind) {
    case "number": {
      p.advance();
      return {
        kind: "Number",
        raw: token.text,
        value: Number(token.text.replace(/_/g, "")),
        span: token.span,
      };
    }
    case "duration": {
      p.advance();
      const [, amount = "0", unit = "ms"] = /^([0-9_.]+)([A-Za-z]+)$/.exec(token.text) ?? [];
      return {
        kind: "Duration",
        raw: token.text,
        milliseconds: Number(amount.replace(/_/g, "")) * (DURATION_UNITS[unit] ?? 1),
        span: token.span,
      };
    }
    case "size": {
      p.advance();
      const [, amount = "0", unit = "B"] = /^([0-9_.]+)([A-Za-z]+)$/.exec(token.text) ?? [];
      return {
        kind: "Size",
        raw: token.text,
        bytes: Number(amount.replace(/_/g, "")) * (SIZE_UNITS[unit] ?? 1),
        span: token.span,
      };
    }
    case "string":
      p.advance();
      return { kind: "String", value: token.value ?? "", triple: token.triple === true, span: token.span };
    case "identifier": {
      if (token.text === "true" || token.text === "false") {
        p.advance();
        return { kind: "Boolean", value: token.text === "true", span: token.span };
      }
      if (token.text === "null") {
        p.advance();
        return { kind: "Null", span: token.span };
      }
      if (RESERVED.has(token.text)) {
        p.fail(`expected an expression, found the keyword '${token.text}'`, { expected: ["an expression"] });
      }
      p.advance();
      // `Incident { id: 1 }`: a record that names its type.
      if (p.isPunct("{") && !p.current.lineBreakBefore && typedRecordAhead(p, options)) {
        return parseRecord(p, token.text, token.span.start);
      }
      return { kind: "Identifier", name: token.text, span: token.span };
    }
    case "punct":
      if (token.text === "(") {
        p.advance();
        const expression = parseExpression(p);
        p.expect(")", "to close the parenthesis");
        return { kind: "Group", expression, span: p.spanFrom(token) };
      }
      if (token.text === "[") return parseArray(p);
      if (token.text === "{" && (!options.noRecord || recordAhead(p))) return parseRecord(p, null);
      break;
    default:
      break;
  }
  return p.fail(`expected an expression, found ${describeToken(token)}`, {
    expected: ["a value", "a name", "'('", "'['", "'{'"],
  });
}

function parseArray(p: ParserState): Expr {
  const open = p.advance();
  const elements: Expr[] = [];
  while (!p.isPunct("]")) {
    if (p.atEnd()) p.fail("this '[' is never closed", { token: open, code: "E1002", expected: ["']'"] });
    elements.push(parseExpression(p));
    if (!p.accept(",")) {
      if (!p.isPunct("]")) {
        p.fail(`expected ',' or ']' in the list, found ${describeToken(p.current)}`, {
          expected: ["','", "']'"],
        });
      }
    }
  }
  p.advance();
  return { kind: "Array", elements, span: p.spanFrom(open) };
}

function typedRecordAhead(p: ParserState, options: ExpressionOptions): boolean {
  const first = p.peek();
  if (p.isPunct("}", first)) return !options.noRecord || p.isPunct("{", p.peek(2));
  return (first.kind === "identifier" || first.kind === "string") && p.isPunct(":", p.peek(2));
}

function parseRecord(p: ParserState, typeName: string | null = null, start?: number): Expr {
  const open = p.advance();
  const fields: RecordField[] = [];
  while (!p.isPunct("}")) {
    if (p.atEnd()) p.fail("this '{' is never closed", { token: open, code: "E1002", expected: ["'}'"] });
    const key = p.current;
    if (key.kind !== "identifier" && key.kind !== "string") {
      p.fail(`expected a field name in the record, found ${describeToken(key)}`, {
        expected: ["a name", "a string"],
      });
    }
    p.advance();
    if (!p.accept(":") && !p.accept("=")) {
      p.fail(`expected ':' after the field '${key.value ?? key.text}', found ${describeToken(p.current)}`, {
        expected: ["':'"],
      });
    }
    const value = parseExpression(p);
    fields.push({
      key: key.kind === "string" ? (key.value ?? "") : key.text,
      quoted: key.kind === "string",
      value,
      span: p.spanFrom(key),
    });
    if (!p.accept(",") && !p.isPunct("}") && !p.current.lineBreakBefore) {
      p.fail(`expected ',' or a line break between record fields, found ${describeToken(p.current)}`, {
        code: "E1005",
        expected: ["','", "'}'"],
      });
    }
  }
  p.advance();
  return {
    kind: "Record",
    typeName,
    fields,
    span: p.spanFrom(start === undefined ? open.span : { start, end: start }),
  };
}
