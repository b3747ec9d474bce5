import { wordsOf } from "../retrieval/tokens.js";
import type { Embedder } from "./embedder.js";

// Function words carry little meaning; they still count, a tenth as much, so a query made only of
// them is not empty.
const STOP_WORDS = new Set(
  "a an and are as at be but by for from has have he her his i in is it its me my of on or our she so that the their them they this to was we were what when where which who why will with you your".split(
    " ",
  ),
);

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The built-in offline embedder: no model, no download. It hashes lexical features (words, word
 * pairs and the character trigrams of each word) into a fixed-size vector with random signs (the
 * "hashing trick"), log-scales counts and normalises to unit length. It captures shared words and
 * spelling variants, not meaning: "car" and "automobile" are unrelated to it. Identical text
 * always gives the identical vector, so its cosine similarity is 1.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;

  constructor(readonly size = 384) {
    this.id = `hashing-v1-${size}`;
  }

  async dimensions(): Promise<number> {
    return this.size;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    const words = wordsOf(text);
    words.forEach((word, i) => {
      const stop = STOP_WORDS.has(word);
      add(`w:${word}`, stop ? 0.1 : 1);
      if (!stop) {
        const padded = `<${word}>`;
        for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25);
      }
      const next = words[i + 1];
      if (next !== undefined && !(stop && STOP_WORDS.has(next))) add(`b:${word} ${next}`, 0.5);
    });
    const vector = new Float32Array(this.size);
    for (const [feature, count] of counts) {
      const hash = fnv1a(feature);
      const sign = fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1;
      const slot = hash % this.size;
      vector[slot] = (vector[slot] as number) + sign * Math.log1p(count);
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
    }
    return vector;
  }
}
