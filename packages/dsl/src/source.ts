/** A half-open range of UTF-16 offsets into the source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** 1-based line and column; columns count Unicode code points, as editors show them. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Source text with a line index, so offsets turn into line:column without rescanning the text. */
export class SourceText {
  readonly lineStarts: readonly number[];

  constructor(
    readonly text: string,
    readonly name = "<input>",
  ) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  /** The 0-based index of the line holding `offset` (binary search). */
  lineIndexOf(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const index = this.lineIndexOf(clamped);
    const start = this.lineStarts[index] ?? 0;
    return { line: index + 1, column: codePointLength(this.text.slice(start, clamped)) + 1 };
  }

  /** The offset of a 1-based line and code-point column (clamped to the text). */
  offset(position: Position): number {
    const line = Math.max(1, Math.min(position.line, this.lineStarts.length));
    const start = this.lineStarts[line - 1] ?? 0;
    const text = this.line(line);
    let offset = 0;
    let column = 1;
    for (const char of text) {
      if (column >= position.column) break;
      offset += char.length;
      column++;
    }
    return start + offset;
  }

  /** The text of a 1-based line, without its line break. */
  line(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
