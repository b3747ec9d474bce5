/** Words for keyword search and lexical features: letters and digits of any script, case-folded. */
export function wordsOf(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** About four characters a token: the usual estimate for English with BPE tokenizers. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Text that both databases store: no NUL, no lone surrogates. */
export function storable(text: string): string {
  return text.replaceAll("\u0000", " ").toWellFormed();
}
