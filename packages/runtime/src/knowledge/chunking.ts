export interface ChunkingOptions {
  /** Largest chunk, in characters (about 300 tokens by default). */
  maxChars: number;
  /** Characters a size-split chunk repeats from the end of the one before. */
  overlap: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxChars: 1_200, overlap: 150 };

/** Markdown sections (a heading and what follows it until the next heading), as text. */
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
  return sections.map((s) => s.trim()).filter((s) => s !== "");
}

const paragraphsOf = (section: string) =>
  section
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "");

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
 * Structure first, then size: a Markdown section that fits stays whole (small neighbours are packed
 * together), a longer one is packed paragraph by paragraph, and only a paragraph longer than the
 * limit is cut, with overlap, so no chunk loses the context at its edges.
 */
export function chunkText(text: string, options: ChunkingOptions = DEFAULT_CHUNKING): string[] {
  if (text.length <= options.maxChars) return [text];
  const chunks: string[] = [];
  let current = "";
  const flush = () => {
    if (current !== "") chunks.push(current);
    current = "";
  };
  const append = (piece: string) => {
    if (current !== "" && current.length + 2 + piece.length > options.maxChars) flush();
    current = current === "" ? piece : `${current}\n\n${piece}`;
  };
  for (const section of sectionsOf(text)) {
    if (section.length <= options.maxChars) {
      append(section);
      continue;
    }
    // A long section starts a chunk of its own rather than continuing the previous section's, and
    // every chunk of it repeats the section's heading, so each chunk still says what it is about.
    flush();
    const [first = "", ...rest] = paragraphsOf(section);
    const heading = /^#{1,6}\s/.test(first) && first.length < options.maxChars / 4 ? first : "";
    const room = { ...options, maxChars: options.maxChars - (heading ? heading.length + 2 : 0) };
    const body = heading ? rest : [first, ...rest];
    let part = "";
    const emit = () => {
      if (part !== "") chunks.push(heading ? `${heading}\n\n${part}` : part);
      part = "";
    };
    for (const paragraph of body) {
      for (const piece of paragraph.length > room.maxChars ? splitBySize(paragraph, room) : [paragraph]) {
        if (part !== "" && part.length + 2 + piece.length > room.maxChars) emit();
        part = part === "" ? piece : `${part}\n\n${piece}`;
      }
    }
    emit();
  }
  flush();
  return chunks.length > 0 ? chunks : [text];
}
