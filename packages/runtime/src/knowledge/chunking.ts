export interface ChunkingOptions {
  /** Largest chunk, in characters (about 300 tokens by default). */
  maxChars: number;
  /** Characters a size-split chunk repeats from the end of the one before. */
  overlap: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxChars: 1_200, overlap: 150 };

/** Sections start at Markdown headings; paragraphs are separated by blank lines. */
function sectionsOf(text: string): string[] {
  const sections: string[] = [];
  let current: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^#{1,6}\s/.test(line) && current.some((l) => l.trim() !== "")) {
      sections.push(current.join("\n"));
      current = [];
    }
    current.push(line);
  }
  sections.push(current.join("\n"));
  return sections
    .flatMap((section) => section.split(/\n\s*\n/))
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** Cuts an over-long piece at whitespace near the limit, repeating `overlap` characters. */
function splitBySize(piece: string, { maxChars, overlap }: ChunkingOptions): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < piece.length) {
    let end = Math.min(piece.length, start + maxChars);
    if (end < piece.length) {
      const space = piece.lastIndexOf(" ", end);
      if (space > start + maxChars / 2) end = space;
    }
    out.push(piece.slice(start, end).trim());
    if (end >= piece.length) break;
    start = Math.max(start + 1, end - overlap);
  }
  return out.filter((c) => c !== "");
}

/**
 * Structure first, then size: paragraphs and Markdown sections are packed together up to the
 * limit, and only a paragraph longer than the limit is cut, with overlap, so no chunk loses the
 * context at its edges.
 */
export function chunkText(text: string, options: ChunkingOptions = DEFAULT_CHUNKING): string[] {
  if (text.length <= options.maxChars) return [text];
  const chunks: string[] = [];
  let current = "";
  for (const paragraph of sectionsOf(text)) {
    const pieces = paragraph.length > options.maxChars ? splitBySize(paragraph, options) : [paragraph];
    for (const piece of pieces) {
      if (current !== "" && current.length + 2 + piece.length > options.maxChars) {
        chunks.push(current);
        current = "";
      }
      current = current === "" ? piece : `${current}\n\n${piece}`;
    }
  }
  if (current !== "") chunks.push(current);
  return chunks.length > 0 ? chunks : [text];
}
