import type { Position, SourceText, Span } from "./source.js";

export type Severity = "error" | "warning";

/**
 * Every diagnostic the language reports, with a stable code. E0xxx are lexical, E1xxx syntax,
 * E2xxx meaning (the compiler); W… are warnings that do not stop compilation.
 */
export const DIAGNOSTIC_CODES = {
  E0001: "unexpected character",
  E0002: "unterminated string",
  E0003: "unterminated block comment",
  E0004: "malformed number, duration or size",
  E0005: "invalid escape in a string",
  E0006: "source too large",
  E1001: "unexpected token",
  E1002: "unclosed delimiter",
  E1003: "nesting too deep",
  E1004: "too many errors",
  E1005: "missing separator",
  E2001: "duplicate definition",
  E2002: "invalid value",
  E2003: "missing required field",
  E2004: "invalid cron expression",
  E2005: "invalid time zone",
  E2006: "secret in plain text",
  E2007: "agent to register not found",
  E2008: "expression not allowed here",
  W0001: "unknown metadata key",
  W0002: "unused definition",
  W0003: "unknown key",
  W0004: "agent not defined in this file",
  W0005: "webhook without a secret",
  W0006: "default applied",
} as const;
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  /** What the parser would have accepted here, e.g. ["':'", "'='"]. */
  readonly expected?: readonly string[];
  /** A suggestion for fixing it. */
  readonly hint?: string;
}

/** A diagnostic with its positions resolved, as tools and the API hand it out. */
export interface LocatedDiagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  expected: string[];
  hint: string | null;
}

export function locate(source: SourceText, diagnostic: Diagnostic): LocatedDiagnostic {
  const start = source.position(diagnostic.span.start);
  const end = source.position(Math.max(diagnostic.span.start, diagnostic.span.end));
  return {
    code: diagnostic.code,
    severity: diagnostic.severity,
    message: diagnostic.message,
    line: start.line,
    column: start.column,
    end_line: end.line,
    end_column: end.column,
    expected: [...(diagnostic.expected ?? [])],
    hint: diagnostic.hint ?? null,
  };
}

/** One line: `3:7: error[E1001]: expected ':' after 'allow', found '['`. */
export function formatDiagnosticLine(source: SourceText, diagnostic: Diagnostic): string {
  const at = source.position(diagnostic.span.start);
  return `${at.line}:${at.column}: ${diagnostic.severity}[${diagnostic.code}]: ${diagnostic.message}`;
}

export interface RenderOptions {
  /** ANSI colours, for terminals. */
  color?: boolean;
}

const FRAME_WIDTH = 100;

/** Cuts a long line to a window around the caret so a 1 MB one-line file still prints a readable frame. */
function window(line: string, column: number): { text: string; caret: number } {
  const chars = Array.from(line);
  if (chars.length <= FRAME_WIDTH) return { text: line, caret: column };
  const from = Math.max(0, Math.min(column - 1 - FRAME_WIDTH / 2, chars.length - FRAME_WIDTH));
  const shown = chars.slice(from, from + FRAME_WIDTH).join("");
  const prefix = from > 0 ? "…" : "";
  const suffix = from + FRAME_WIDTH < chars.length ? "…" : "";
  return { text: `${prefix}${shown}${suffix}`, caret: column - from + prefix.length };
}

/**
 * The rustc-style rendering: header, location, the offending line with a caret under the span,
 * and what was expected.
 */
export function renderDiagnostic(
  source: SourceText,
  diagnostic: Diagnostic,
  options: RenderOptions = {},
): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const start: Position = source.position(diagnostic.span.start);
  const end: Position = source.position(Math.max(diagnostic.span.start, diagnostic.span.end));
  const tone = diagnostic.severity === "error" ? "1;31" : "1;33";
  const gutter = String(start.line).length + 1;
  const pad = " ".repeat(gutter);
  const rawLine = source.line(start.line).replace(/\t/g, " ");
  const { text, caret } = window(rawLine, start.column);
  const spanWidth = end.line === start.line ? Math.max(1, Math.min(end.column - start.column, 60)) : 1;
  const lines = [
    `${paint(tone, `${diagnostic.severity}[${diagnostic.code}]`)}${paint("1", `: ${diagnostic.message}`)}`,
    `${pad}${paint("1;34", "-->")} ${source.name}:${start.line}:${start.column}`,
    `${pad}${paint("1;34", "|")}`,
    `${paint("1;34", `${String(start.line).padStart(gutter - 1)} |`)} ${text}`,
    `${pad}${paint("1;34", "|")} ${" ".repeat(Math.max(0, caret - 1))}${paint(tone, "^".repeat(spanWidth))}`,
  ];
  if (diagnostic.expected && diagnostic.expected.length > 0) {
    lines.push(`${pad}${paint("1;34", "=")} expected: ${diagnostic.expected.join(", ")}`);
  }
  if (diagnostic.hint) lines.push(`${pad}${paint("1;34", "=")} hint: ${diagnostic.hint}`);
  return lines.join("\n");
}

/** The reverse of `locate`: a diagnostic received with positions (from the API) back onto its source. */
export function unlocate(source: SourceText, located: LocatedDiagnostic): Diagnostic {
  const start = source.offset({ line: located.line, column: located.column });
  const end = source.offset({ line: located.end_line, column: located.end_column });
  return {
    code: located.code,
    severity: located.severity,
    message: located.message,
    span: { start, end: Math.max(start, end) },
    ...(located.expected.length > 0 ? { expected: located.expected } : {}),
    ...(located.hint ? { hint: located.hint } : {}),
  };
}

export const isError = (diagnostic: Diagnostic) => diagnostic.severity === "error";
