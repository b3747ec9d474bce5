import type { Span } from "./source.js";

export type TokenKind = "identifier" | "string" | "number" | "duration" | "size" | "punct" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token; for strings, the decoded value is in `value`. */
  readonly text: string;
  readonly span: Span;
  /** True when a line break separates this token from the previous one: statements end at line ends. */
  readonly lineBreakBefore: boolean;
  /** Decoded string value (strings only). */
  readonly value?: string;
  /** Strings written with triple quotes keep that form when formatted. */
  readonly triple?: boolean;
}

export interface Comment {
  readonly text: string;
  readonly span: Span;
}

/** Longest first, so `->` wins over `-`. */
export const PUNCTUATION = [
  "->",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "+=",
  "-=",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  ";",
  ":",
  ".",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "!",
  "?",
] as const;

/** Duration units to milliseconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

export const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

export function describeToken(token: Token): string {
  switch (token.kind) {
    case "eof":
      return "end of file";
    case "string":
      return "a string";
    default:
      return `'${token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text}'`;
  }
}
