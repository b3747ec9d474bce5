import { readFileSync, writeFileSync } from "node:fs";
import { type Diagnostic, type LocatedDiagnostic, renderDiagnostic, type SourceText } from "@symbiont/dsl";
import { CliError, ExitCode } from "./exit-codes.js";

/** Reads a .symbi file, or standard input for `-`. */
export function readSource(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a .symbi file" : (error as Error).message}`,
      ExitCode.usage,
    );
  }
}

export function writeSource(path: string, text: string): void {
  try {
    writeFileSync(path, text, "utf8");
  } catch (error) {
    throw new CliError(`${path}: cannot write: ${(error as Error).message}`, ExitCode.failure);
  }
}

/** Colour only for a terminal, and never when NO_COLOR asks not to (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function renderAll(source: SourceText, diagnostics: readonly Diagnostic[], color: boolean): string {
  return diagnostics.map((d) => renderDiagnostic(source, d, { color })).join("\n\n");
}

export function summary(diagnostics: readonly { severity: string }[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

export type { LocatedDiagnostic };
