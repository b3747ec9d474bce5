import type { Diagnostic } from "./diagnostics.js";
import { LIMITS } from "./parser-state.js";
import { type Comment, DURATION_UNITS, PUNCTUATION, SIZE_UNITS, type Token } from "./tokens.js";

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string | undefined) =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isIdentPart = (c: string | undefined) => isIdentStart(c) || isDigit(c);

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  '"': '"',
  "\\": "\\",
  "0": "\0",
};

/**
 * Turns source text into tokens in one pass without backtracking, so its cost is linear in the
 * input whatever the input. Errors become diagnostics and lexing goes on, so the parser still sees
 * the rest of the file.
 */
export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const diagnostics: Diagnostic[] = [];
  let i = 0;
  let lineBreak = true;

  const error = (code: Diagnostic["code"], message: string, start: number, end: number, hint?: string) => {
    // Past the cap, one more error says so and the rest are dropped; lexing still finishes.
    if (diagnostics.length > LIMITS.maxErrors) return;
    if (diagnostics.length === LIMITS.maxErrors) {
      diagnostics.push({
        code: "E1004",
        severity: "error",
        message: `stopped after ${LIMITS.maxErrors} errors; fix these and check again`,
        span: { start, end },
      });
      return;
    }
    diagnostics.push({
      code,
      severity: "error",
      message,
      span: { start, end },
      ...(hint ? { hint } : {}),
    });
  };
  // Sets the flag on the object it is given rather than copying it: this runs for every token.
  const push = (token: Draft) => {
    token.lineBreakBefore = lineBreak;
    tokens.push(token as Token);
    lineBreak = false;
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      lineBreak = true;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\ufeff") {
      i++;
      continue;
    }
    // Comments: `// …`, `# …` to the end of the line, `/* … */` across lines.
    if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      comments.push({ text: text.slice(i, stop).replace(/\r$/, ""), span: { start: i, end: stop } });
      i = stop;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) {
        error("E0003", "unterminated block comment: '/*' has no closing '*/'", i, i + 2);
        comments.push({ text: text.slice(i), span: { start: i, end: text.length } });
        i = text.length;
        break;
      }
      comments.push({ text: text.slice(i, end + 2), span: { start: i, end: end + 2 } });
      if (text.slice(i, end).includes("\n")) lineBreak = true;
      i = end + 2;
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (isIdentPart(text[i])) i++;
      push({ kind: "identifier", text: text.slice(start, i), span: { start, end: i } });
      continue;
    }
    if (isDigit(c)) {
      i = lexNumber(text, i, push, error);
      continue;
    }
    if (c === '"') {
      i = text.startsWith('"""', i) ? lexTripleString(text, i, push, error) : lexString(text, i, push, error);
      continue;
    }
    const punct = punctuationAt(text, i);
    if (punct) {
      push({ kind: "punct", text: punct, span: { start: i, end: i + punct.length } });
      i += punct.length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) ?? 0);
    const shown = /[\p{L}\p{N}\p{P}\p{S}]/u.test(char)
      ? `'${char}'`
      : `U+${(text.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    error(
      "E0001",
      `unexpected character ${shown}`,
      i,
      i + char.length,
      /\p{L}/u.test(char) ? "names use ASCII letters, digits and '_'; put other text in a string" : undefined,
    );
    i += char.length;
  }
  tokens.push({
    kind: "eof",
    text: "",
    span: { start: text.length, end: text.length },
    lineBreakBefore: true,
  });
  return { tokens, comments, diagnostics };
}

const SINGLE = new Set<string>(PUNCTUATION.filter((p) => p.length === 1));
const DOUBLE = new Set<string>(PUNCTUATION.filter((p) => p.length === 2));

/** The longest punctuation at `i`, without scanning the whole list: this runs for every symbol. */
function punctuationAt(text: string, i: number): string | undefined {
  const two = text.slice(i, i + 2);
  if (DOUBLE.has(two)) return two;
  const one = text[i]!;
  return SINGLE.has(one) ? one : undefined;
}

type Draft = Omit<Token, "lineBreakBefore"> & { lineBreakBefore?: boolean };
type Push = (token: Draft) => void;
type ErrorSink = (
  code: Diagnostic["code"],
  message: string,
  start: number,
  end: number,
  hint?: string,
) => void;

function lexNumber(text: string, start: number, push: Push, error: ErrorSink): number {
  let i = start;
  while (isDigit(text[i]) || (text[i] === "_" && isDigit(text[i + 1]))) i++;
  // `7.years` is a member access on 7; only a digit after the dot makes a decimal.
  if (text[i] === "." && isDigit(text[i + 1])) {
    i++;
    while (isDigit(text[i])) i++;
  }
  const numberEnd = i;
  if (!isIdentStart(text[i])) {
    push({ kind: "number", text: text.slice(start, i), span: { start, end: i } });
    return i;
  }
  while (isIdentPart(text[i])) i++;
  const unit = text.slice(numberEnd, i);
  const raw = text.slice(start, i);
  if (unit in DURATION_UNITS) {
    push({ kind: "duration", text: raw, span: { start, end: i } });
  } else if (unit in SIZE_UNITS) {
    push({ kind: "size", text: raw, span: { start, end: i } });
  } else {
    error(
      "E0004",
      `unknown unit '${unit}' in '${raw}'`,
      start,
      i,
      `durations take ${Object.keys(DURATION_UNITS).join(" ")}; sizes take ${Object.keys(SIZE_UNITS).join(" ")}`,
    );
    push({ kind: "number", text: text.slice(start, numberEnd), span: { start, end: i } });
  }
  return i;
}

function lexString(text: string, start: number, push: Push, error: ErrorSink): number {
  let i = start + 1;
  let value = "";
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      push({ kind: "string", text: text.slice(start, i + 1), value, span: { start, end: i + 1 } });
      return i + 1;
    }
    // A string ends at the line: an unterminated one should not swallow the rest of the file.
    if (c === "\n") break;
    if (c === "\\") {
      const next = text[i + 1];
      if (next !== undefined && next in ESCAPES) {
        value += ESCAPES[next];
        i += 2;
        continue;
      }
      if (next === "u" && text[i + 2] === "{") {
        const close = text.indexOf("}", i + 3);
        const hex = close === -1 ? "" : text.slice(i + 3, close);
        const code = /^[0-9a-fA-F]{1,6}$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
        if (code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
          value += String.fromCodePoint(code);
          i = close + 1;
          continue;
        }
      }
      error(
        "E0005",
        `invalid escape '\\${next ?? ""}' in a string`,
        i,
        i + 2,
        'use \\n \\t \\r \\" \\\\ \\0 or \\u{hex}',
      );
      i += next === undefined ? 1 : 2;
      continue;
    }
    value += c;
    i++;
  }
  error(
    "E0002",
    "unterminated string: this '\"' is never closed",
    start,
    start + 1,
    'add the closing \'"\' on the same line, or use """…""" for text over several lines',
  );
  push({ kind: "string", text: text.slice(start, i), value, span: { start, end: i } });
  return i;
}

function lexTripleString(text: string, start: number, push: Push, error: ErrorSink): number {
  const close = text.indexOf('"""', start + 3);
  if (close === -1) {
    error("E0002", 'unterminated string: this \'"""\' is never closed', start, start + 3);
    push({
      kind: "string",
      text: text.slice(start),
      value: text.slice(start + 3),
      triple: true,
      span: { start, end: text.length },
    });
    return text.length;
  }
  push({
    kind: "string",
    text: text.slice(start, close + 3),
    value: text.slice(start + 3, close),
    triple: true,
    span: { start, end: close + 3 },
  });
  return close + 3;
}
