export interface Output {
  json: boolean;
  /** Human text to stdout; suppressed in --json mode. */
  info(text: string): void;
  /** A machine-readable value to stdout in --json mode, else the human rendering. */
  result(value: unknown, human: () => string): void;
  error(text: string): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  return {
    json,
    info(text) {
      if (!json) stdout.write(`${text}\n`);
    },
    result(value, human) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    error(text) {
      stderr.write(json ? `${JSON.stringify({ error: text })}\n` : `${text}\n`);
    },
  };
}

/** A plain aligned table; cells are cut to keep one row per line. */
export function table(headers: string[], rows: string[][], maxCell = 48): string {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, " ");
    return flat.length > maxCell ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const cells = [headers, ...rows.map((row) => row.map(cut))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
