import type { Item, Program } from "./ast.js";
import { TOP_LEVEL_KEYWORDS } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { lex } from "./lexer.js";
import { parseItem } from "./parse-items.js";
import { LIMITS, ParseAbort, ParserState, SyntaxFailure } from "./parser-state.js";
import type { Comment } from "./tokens.js";

export interface ParseResult {
  program: Program;
  comments: Comment[];
  diagnostics: Diagnostic[];
}

/**
 * Parses a .symbi source. Never throws for bad input: every problem is a diagnostic, and as much of
 * the program as could be recovered is returned.
 */
export function parse(text: string): ParseResult {
  if (text.length > LIMITS.maxSourceLength) {
    return {
      program: { kind: "Program", items: [], span: { start: 0, end: 0 } },
      comments: [],
      diagnostics: [
        {
          code: "E0006",
          severity: "error",
          message: `source is ${text.length} characters; the limit is ${LIMITS.maxSourceLength}`,
          span: { start: 0, end: 0 },
          hint: "split it into several files",
        },
      ],
    };
  }
  const lexed = lex(text);
  if (lexed.diagnostics.length > LIMITS.maxErrors) {
    return {
      program: { kind: "Program", items: [], span: { start: 0, end: text.length } },
      comments: lexed.comments,
      diagnostics: lexed.diagnostics,
    };
  }
  const p = new ParserState(lexed.tokens, text);
  for (const diagnostic of lexed.diagnostics) p.diagnostics.push(diagnostic);
  p.errors = lexed.diagnostics.length;
  const items: Item[] = [];
  try {
    while (!p.atEnd()) {
      const start = p.pos;
      try {
        items.push(parseItem(p));
      } catch (error) {
        if (!(error instanceof SyntaxFailure)) throw error;
        skipToNextDefinition(p, start);
      }
    }
  } catch (error) {
    if (!(error instanceof ParseAbort)) throw error;
  }
  p.diagnostics.sort((a, b) => a.span.start - b.span.start);
  return {
    program: { kind: "Program", items, span: { start: 0, end: text.length } },
    comments: lexed.comments,
    diagnostics: p.diagnostics,
  };
}

/** Top-level recovery: the next definition keyword at the start of a line, outside any brackets. */
function skipToNextDefinition(p: ParserState, start: number): void {
  if (p.pos === start) p.advance();
  let depth = 0;
  while (!p.atEnd()) {
    const token = p.current;
    if (
      depth === 0 &&
      token.lineBreakBefore &&
      token.kind === "identifier" &&
      (TOP_LEVEL_KEYWORDS as readonly string[]).includes(token.text)
    ) {
      return;
    }
    if (p.isPunct("{") || p.isPunct("(") || p.isPunct("[")) depth++;
    if (p.isPunct("}") || p.isPunct(")") || p.isPunct("]")) depth = Math.max(0, depth - 1);
    p.advance();
  }
}
