/** Words for keyword search and lexical features: letters and digits of any script, case-folded. */
export function wordsOf(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * Words of a keyword query: like wordsOf, but a combining mark stays in its word, as the databases'
 * tokenizers keep it ("दुनिया" is one word, not three letters).
 */
export function keywordsOf(text: string): string[] {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
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

/**
 * "café" → "cafe": Latin letters without their combining marks, as FTS5's remove_diacritics does.
 * Other scripts keep theirs (a Devanagari vowel sign is part of the word, not an accent).
 */
export function foldDiacritics(text: string): string {
  return text
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .normalize("NFC");
}
