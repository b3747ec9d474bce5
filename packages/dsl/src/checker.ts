import type { Diagnostic, DiagnosticCode } from "./diagnostics.js";
import type { Span } from "./source.js";

/** Collects the compiler's diagnostics. */
export class Checker {
  readonly diagnostics: Diagnostic[] = [];

  error(code: DiagnosticCode, message: string, span: Span, hint?: string): void {
    this.diagnostics.push({ code, severity: "error", message, span, ...(hint ? { hint } : {}) });
  }

  warn(code: DiagnosticCode, message: string, span: Span, hint?: string): void {
    this.diagnostics.push({ code, severity: "warning", message, span, ...(hint ? { hint } : {}) });
  }
}

/** Edit distance, for "did you mean" suggestions on misspelt keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function unknownKeyHint(word: string, known: readonly string[]): string {
  const close = suggest(word, known);
  return close ? `did you mean '${close}'?` : `known keys: ${known.join(", ")}`;
}
