import { foldDiacritics, keywordsOf } from "../retrieval/tokens.js";
import type { Sealer } from "../secrets/sealer.js";

/**
 * Encryption at rest of what agents remember and know (memoryEncryption): memory content and
 * knowledge text are stored sealed (AES-256-GCM under a master-key subkey, bound to their row), and
 * their keyword entries hold keyed digests of the words instead of the words. Rows say whether they
 * are sealed, so a database written with the flag off (or on) still reads after it is switched.
 */
export class ContentSealing {
  constructor(
    private readonly sealer: Sealer | undefined,
    /** Whether new content is sealed. Sealed rows open either way. */
    readonly enabled: boolean,
  ) {
    if (enabled && !sealer) throw new Error("memoryEncryption needs the secrets layer's sealer");
  }

  seal(text: string, context: string): { stored: string; sealed: number } {
    if (!this.enabled || !this.sealer) return { stored: text, sealed: 0 };
    return { stored: this.sealer.seal(text, context), sealed: 1 };
  }

  open(stored: string, sealed: number, context: string): string {
    if (!sealed) return stored;
    if (!this.sealer)
      throw new Error("This row is sealed (memoryEncryption) and no sealer was given to open it");
    return this.sealer.open(stored, context);
  }

  /**
   * What the keyword index holds for a text: the text itself, or with sealing on, one keyed digest
   * per word (case and Latin diacritics folded first). Digests match only whole, equal words: no
   * stemming ("run" does not find "running"), and equal words give equal digests, so someone with
   * the database but not the key sees how often an unknown word recurs, never which word it is.
   */
  keywordText(text: string): string {
    if (!this.enabled || !this.sealer) return text;
    return this.keywordTokens(text).join(" ");
  }

  /** Keyed digests of the words of a text (sealing on). */
  keywordTokens(text: string): string[] {
    return keywordsOf(text).map((word) => this.tokenOf(word));
  }

  /** Digests by word: words recur (Zipf), and an HMAC costs more than the rest of indexing a word. */
  private readonly tokens = new Map<string, string>();

  private tokenOf(word: string): string {
    let token = this.tokens.get(word);
    if (token === undefined) {
      // 80 bits in hex behind a letter: one plain token to every tokenizer.
      token = `k${(this.sealer as Sealer).digest(foldDiacritics(word)).toString("hex", 0, 10)}`;
      if (this.tokens.size >= TOKEN_CACHE) this.tokens.clear();
      this.tokens.set(word, token);
    }
    return token;
  }
}

const TOKEN_CACHE = 100_000;

export const PLAIN_CONTENT = new ContentSealing(undefined, false);

export const memoryContext = (tenantId: string, id: string) => `memory:${tenantId}:${id}`;
export const knowledgeItemContext = (tenantId: string, id: string) => `knowledge:${tenantId}:${id}`;
export const knowledgeChunkContext = (tenantId: string, itemId: string, index: number) =>
  `knowledge-chunk:${tenantId}:${itemId}:${index}`;
