import type { Diagnostic, DiagnosticCode } from "./diagnostics.js";
import type { Span } from "./source.js";
import { describeToken, type Token } from "./tokens.js";

/** Bounds that keep hostile input from exhausting the stack, the CPU or the reader. */
export const LIMITS = {
  /** Characters of source; the API's body limit is larger, so this is the one that speaks. */
  maxSourceLength: 1_000_000,
  /** Nesting of blocks, expressions and operator chains; recursion over the AST stays shallow. */
  maxDepth: 200,
  /** Errors reported before parsing stops: one mistake should not bury the reader in hundreds. */
  maxErrors: 50,
};

/** Thrown after a syntax error was reported; the enclosing list parser recovers from it. */
export class SyntaxFailure extends Error {}
/** Thrown when parsing must stop altogether (too deep, too many errors). */
export class ParseAbort extends Error {}

export const RESERVED = new Set([
  "let",
  "if",
  "else",
  "for",
  "in",
  "while",
  "match",
  "try",
  "catch",
  "return",
  "true",
  "false",
  "null",
]);

export class ParserState {
  pos = 0;
  depth = 0;
  errors = 0;
  readonly diagnostics: Diagnostic[] = [];
  /** The last block closed by a '}' indented less than the line that opened it. */
  suspect: { open: Token; what: string } | undefined;
  /** Indentation of the lines that opened the blocks we are in, innermost last. */
  readonly openerIndents: number[] = [];

  constructor(
    readonly tokens: readonly Token[],
    readonly text: string,
  ) {}

  get current(): Token {
    return this.tokens[this.pos]!;
  }

  peek(offset = 1): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  get previous(): Token {
    return this.tokens[Math.max(0, this.pos - 1)]!;
  }

  atEnd(): boolean {
    return this.current.kind === "eof";
  }

  /** Punctuation at the cursor (or `offset` ahead). */
  isPunct(text: string, token: Token = this.current): boolean {
    return token.kind === "punct" && token.text === text;
  }

  isWord(word: string, token: Token = this.current): boolean {
    return token.kind === "identifier" && token.text === word;
  }

  advance(): Token {
    const token = this.current;
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  accept(punct: string): Token | undefined {
    return this.isPunct(punct) ? this.advance() : undefined;
  }

  acceptWord(word: string): Token | undefined {
    return this.isWord(word) ? this.advance() : undefined;
  }

  report(diagnostic: Diagnostic): void {
    this.diagnostics.push(diagnostic);
    if (diagnostic.severity !== "error") return;
    this.errors++;
    if (this.errors >= LIMITS.maxErrors) {
      this.diagnostics.push({
        code: "E1004",
        severity: "error",
        message: `stopped after ${LIMITS.maxErrors} errors; fix these and check again`,
        span: diagnostic.span,
      });
      throw new ParseAbort();
    }
  }

  /** Reports an error at `token` and abandons the current construct. */
  fail(
    message: string,
    options: { token?: Token; expected?: string[]; hint?: string; code?: DiagnosticCode } = {},
  ): never {
    const token = options.token ?? this.current;
    this.report({
      code: options.code ?? "E1001",
      severity: "error",
      message,
      span: token.span,
      ...(options.expected ? { expected: options.expected } : {}),
      ...(options.hint ? { hint: options.hint } : {}),
    });
    throw new SyntaxFailure(message);
  }

  /** `expected ':' after 'allow', found '['` */
  expect(punct: string, context: string): Token {
    const token = this.accept(punct);
    if (token) return token;
    return this.fail(`expected '${punct}' ${context}, found ${describeToken(this.current)}`, {
      expected: [`'${punct}'`],
    });
  }

  identifier(what: string): Token {
    const token = this.current;
    if (token.kind === "identifier" && !RESERVED.has(token.text)) return this.advance();
    if (token.kind === "identifier") {
      return this.fail(`'${token.text}' is a reserved word and cannot be used as ${what}`, {
        expected: [what],
      });
    }
    return this.fail(`expected ${what}, found ${describeToken(token)}`, { expected: [what] });
  }

  /** Enters one level of nesting; too deep stops parsing, since recursion beyond it risks the stack. */
  enter(): void {
    this.depth++;
    if (this.depth > LIMITS.maxDepth) {
      this.report({
        code: "E1003",
        severity: "error",
        message: `nesting deeper than ${LIMITS.maxDepth} levels`,
        span: this.current.span,
        hint: "split the expression or block into smaller named pieces",
      });
      throw new ParseAbort();
    }
  }

  leave(levels = 1): void {
    this.depth -= levels;
  }

  spanFrom(start: Span | Token): Span {
    const from = "span" in start ? start.span.start : start.start;
    return { start: from, end: Math.max(from, this.previous.span.end) };
  }

  /** Leading whitespace of the line holding `token`. */
  indentOf(token: Token): number {
    const lineStart = this.text.lastIndexOf("\n", token.span.start - 1) + 1;
    let i = lineStart;
    while (this.text[i] === " " || this.text[i] === "\t") i++;
    return i - lineStart;
  }

  columnOf(token: Token): number {
    return token.span.start - (this.text.lastIndexOf("\n", token.span.start - 1) + 1) + 1;
  }

  /**
   * After an error: skips to where the next item of the list probably starts: the next line at
   * this nesting level, or the `}` closing the list. Brackets skipped over are balanced.
   */
  synchronize(itemStart: number): void {
    if (this.pos === itemStart) this.advance();
    let depth = 0;
    while (!this.atEnd()) {
      const token = this.current;
      if (depth === 0 && (token.lineBreakBefore || this.isPunct("}"))) return;
      if (depth === 0 && (this.isPunct(";") || this.isPunct(","))) {
        this.advance();
        return;
      }
      if (this.isPunct("{") || this.isPunct("(") || this.isPunct("[")) depth++;
      if (this.isPunct("}") || this.isPunct(")") || this.isPunct("]")) depth = Math.max(0, depth - 1);
      this.advance();
    }
  }

  /** Items of a list end at a line break, ',' or ';', or the closing brace. */
  endOfItem(what: string): void {
    if (this.accept(";") || this.accept(",")) return;
    const token = this.current;
    if (token.lineBreakBefore || this.isPunct("}") || token.kind === "eof") return;
    this.fail(`expected a line break or ';' after ${what}, found ${describeToken(token)}`, {
      code: "E1005",
      expected: ["a line break", "';'"],
    });
  }
}
