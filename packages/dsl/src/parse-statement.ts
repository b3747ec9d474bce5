import type { Block, CatchClause, IfStatement, MatchArm, Statement } from "./ast.js";
import { TOP_LEVEL_KEYWORDS } from "./ast.js";
import { parseBinary, parseExpression, recordAhead } from "./parse-expression.js";
import { parseTypeRef } from "./parse-type.js";
import { ParseAbort, type ParserState, SyntaxFailure } from "./parser-state.js";
import { describeToken, type Token } from "./tokens.js";

/**
 * Parses `{ item* }` with recovery: an item that fails to parse is reported, skipped to the next
 * line, and the rest of the list is still parsed. A missing `}` is blamed on the block that lacks it
 * (judged by indentation), not on the end of the file.
 */
export function parseList<T>(p: ParserState, what: string, item: () => T): { items: T[]; open: Token } {
  const open = p.expect("{", `to open ${what}`);
  const indent = p.indentOf(open);
  const items: T[] = [];
  p.openerIndents.push(indent);
  p.enter();
  try {
    for (;;) {
      const token = p.current;
      if (p.isPunct("}")) {
        // Braces match strictly; a closing brace indented less than its opener's line is only
        // remembered, to blame the right block if the file later turns out to lack a '}'.
        if (token.lineBreakBefore && p.indentOf(token) < indent) p.suspect = { open, what };
        p.advance();
        return { items, open };
      }
      if (token.kind === "eof") {
        unclosed(p, open, what);
        return { items, open };
      }
      if (startsDefinition(p, token)) {
        // A definition header in column 1 inside a block: the block above it was left open.
        unclosed(p, open, what);
        return { items, open };
      }
      const start = p.pos;
      try {
        items.push(item());
      } catch (error) {
        if (!(error instanceof SyntaxFailure)) throw error;
        p.synchronize(start);
      }
    }
  } finally {
    p.leave();
    p.openerIndents.pop();
  }
}

/** `agent x {`, `policy p {`, `metadata {`, `function f(`, `type T =` starting in column 1. */
function startsDefinition(p: ParserState, token: Token): boolean {
  if (token.kind !== "identifier" || !token.lineBreakBefore || p.columnOf(token) !== 1) return false;
  if (!(TOP_LEVEL_KEYWORDS as readonly string[]).includes(token.text)) return false;
  const next = p.peek();
  if (p.isPunct("{", next)) return true;
  return next.kind === "identifier" && ["{", "(", "=", "->"].some((punct) => p.isPunct(punct, p.peek(2)));
}

function unclosed(p: ParserState, open: Token, what: string): void {
  // A block inside this one that was closed by a brace indented like an outer block most likely
  // took this block's '}': blame that one.
  const suspect = p.suspect && p.suspect.open.span.start > open.span.start ? p.suspect : undefined;
  p.report({
    code: "E1002",
    severity: "error",
    message: `${suspect ? suspect.what : what} opened here is never closed`,
    span: (suspect ? suspect.open : open).span,
    expected: ["'}'"],
    hint: suspect
      ? "add the missing '}': a '}' indented like an outer block closed this one instead"
      : "add the missing '}'",
  });
  if (p.atEnd()) throw new ParseAbort();
}

export function parseBlock(p: ParserState): Block {
  const start = p.current;
  const { items } = parseList(p, "this block", () => parseStatement(p));
  return { kind: "Block", statements: items, span: p.spanFrom(start) };
}

export function parseStatement(p: ParserState): Statement {
  const start = p.current;
  let statement: Statement;
  switch (start.kind === "identifier" ? start.text : "") {
    case "let": {
      p.advance();
      const name = p.identifier("a variable name");
      const type = p.accept(":") ? parseTypeRef(p) : null;
      p.expect("=", `after 'let ${name.text}'`);
      statement = { kind: "Let", name: name.text, type, value: parseExpression(p), span: p.spanFrom(start) };
      break;
    }
    case "if":
      statement = parseIf(p);
      break;
    case "for": {
      p.advance();
      const binding = p.identifier("a loop variable");
      if (!p.acceptWord("in")) {
        p.fail(`expected 'in' after 'for ${binding.text}', found ${describeToken(p.current)}`, {
          expected: ["'in'"],
        });
      }
      const iterable = parseExpression(p, { noRecord: true });
      statement = {
        kind: "For",
        binding: binding.text,
        iterable,
        body: parseBlock(p),
        span: p.spanFrom(start),
      };
      break;
    }
    case "while": {
      p.advance();
      const condition = parseExpression(p, { noRecord: true });
      statement = { kind: "While", condition, body: parseBlock(p), span: p.spanFrom(start) };
      break;
    }
    case "match":
      statement = parseMatch(p);
      break;
    case "try":
      statement = parseTry(p);
      break;
    case "return": {
      p.advance();
      const bare = p.current.lineBreakBefore || p.isPunct("}") || p.isPunct(";") || p.atEnd();
      statement = { kind: "Return", value: bare ? null : parseExpression(p), span: p.spanFrom(start) };
      break;
    }
    default: {
      const expression = parseExpression(p);
      const operator = p.current;
      if ((p.isPunct("=") || p.isPunct("+=") || p.isPunct("-=")) && !operator.lineBreakBefore) {
        if (expression.kind !== "Identifier" && expression.kind !== "Member" && expression.kind !== "Index") {
          p.fail(`cannot assign to this expression`, {
            token: start,
            hint: "assign to a name, a field or an index",
          });
        }
        p.advance();
        statement = {
          kind: "Assign",
          target: expression,
          operator: operator.text as "=" | "+=" | "-=",
          value: parseExpression(p),
          span: p.spanFrom(start),
        };
      } else {
        statement = { kind: "ExpressionStatement", expression, span: expression.span };
      }
    }
  }
  p.endOfItem("the statement");
  return statement;
}

function parseIf(p: ParserState): IfStatement {
  const start = p.advance();
  p.enter();
  try {
    const condition = parseExpression(p, { noRecord: true });
    const then = parseBlock(p);
    let otherwise: IfStatement["otherwise"] = null;
    if (p.acceptWord("else")) otherwise = p.isWord("if") ? parseIf(p) : parseBlock(p);
    return { kind: "If", condition, then, otherwise, span: p.spanFrom(start) };
  } finally {
    p.leave();
  }
}

function parseMatch(p: ParserState): Statement {
  const start = p.advance();
  const subject = parseExpression(p, { noRecord: true });
  const { items } = parseList(p, "the match", (): MatchArm => {
    const armStart = p.current;
    // A pattern is a plain value or name; parsing it below the lambda level keeps `x -> …` an arm.
    const pattern = parseBinary(p, 1);
    if (!p.accept("->") && !p.accept("=>")) {
      p.fail(`expected '->' after the match pattern, found ${describeToken(p.current)}`, {
        expected: ["'->'", "'=>'"],
      });
    }
    const body = p.isPunct("{") && !recordAhead(p) ? parseBlock(p) : parseExpression(p);
    const arm = { pattern, body, span: p.spanFrom(armStart) };
    p.endOfItem("the match arm");
    return arm;
  });
  return { kind: "Match", subject, arms: items, span: p.spanFrom(start) };
}

function parseTry(p: ParserState): Statement {
  const start = p.advance();
  const body = parseBlock(p);
  const catches: CatchClause[] = [];
  while (p.isWord("catch")) {
    const clauseStart = p.advance();
    let type: string | null = null;
    let binding: string | null = null;
    if (p.accept("(")) {
      const first = p.identifier("an error type or name");
      if (p.current.kind === "identifier") {
        type = first.text;
        binding = p.identifier("a name for the error").text;
      } else {
        binding = first.text;
      }
      p.expect(")", "after the caught error");
    } else if (p.current.kind === "identifier") {
      binding = p.identifier("a name for the error").text;
    }
    catches.push({ type, binding, body: parseBlock(p), span: p.spanFrom(clauseStart) });
  }
  if (catches.length === 0) {
    p.fail(`expected 'catch' after the try block, found ${describeToken(p.current)}`, {
      expected: ["'catch'"],
    });
  }
  return { kind: "Try", body, catches, span: p.spanFrom(start) };
}
