import { describe, expect, it } from "vitest";
import { chunkText } from "./chunking.js";

describe("chunking", () => {
  it("keeps short text whole", () => {
    expect(chunkText("short")).toEqual(["short"]);
  });

  it("splits at headings and paragraphs before size, packing small ones together", () => {
    const text = ["# One", "a ".repeat(100), "# Two", "b ".repeat(100), "# Three", "c ".repeat(100)].join(
      "\n\n",
    );
    const chunks = chunkText(text, { maxChars: 300, overlap: 20 });
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toMatch(/^# Two/);
    expect(chunks.every((c) => c.length <= 300)).toBe(true);
  });

  it("cuts an over-long paragraph at spaces with overlap, losing no words", () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const chunks = chunkText(words.join(" "), { maxChars: 500, overlap: 60 });
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.every((c) => c.length <= 500)).toBe(true);
    const seen = new Set(chunks.flatMap((c) => c.split(" ")));
    expect(words.every((w) => seen.has(w))).toBe(true);
    // Consecutive chunks share their edge.
    const lastOfFirst = (chunks[0] as string).split(" ").at(-1) as string;
    expect(chunks[1]).toContain(lastOfFirst);
  });
});
