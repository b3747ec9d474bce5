import { describe, expect, it } from "vitest";
import { dot } from "../vectors/vector-codec.js";
import { HashingEmbedder } from "./hashing-embedder.js";

describe("the offline hashing embedder", () => {
  const embedder = new HashingEmbedder(384);
  const similarity = (a: string, b: string) => dot(embedder.embedOne(a), embedder.embedOne(b));

  it("gives identical text a similarity of 1 and unit-length vectors", () => {
    const text = "Identical text must score at least 0.99";
    expect(similarity(text, text)).toBeCloseTo(1, 5);
    expect(dot(embedder.embedOne("anything"), embedder.embedOne("anything"))).toBeCloseTo(1, 5);
  });

  it("ranks shared words and spelling variants above unrelated text", () => {
    const query = "configuring rate limits";
    expect(similarity(query, "how to configure the rate limit")).toBeGreaterThan(
      similarity(query, "bananas are yellow fruit"),
    );
    expect(similarity("the deployment", "deployments")).toBeGreaterThan(0.2);
  });

  it("handles any script, and empty or symbol-only text, without NaN", () => {
    expect(similarity("東京 café naïve", "東京 café naïve")).toBeCloseTo(1, 5);
    const empty = embedder.embedOne("!!! ???");
    expect(Array.from(empty).every((x) => x === 0)).toBe(true);
    expect(Number.isNaN(dot(empty, embedder.embedOne("word")))).toBe(false);
  });
});
