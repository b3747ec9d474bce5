import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "./compiler.js";
import { format } from "./formatter.js";

const DOC = readFileSync(new URL("../../../docs/dsl.md", import.meta.url), "utf8");
const examples = [...DOC.matchAll(/```symbi\n([\s\S]*?)```/g)].map((m, i) => [i + 1, m[1]!] as const);

describe("the examples in docs/dsl.md", () => {
  it("are there", () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  it.each(examples)("example %i compiles without errors and is formatted", (_, text) => {
    const result = compile(text);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const formatted = format(text);
    expect(formatted.ok && formatted.text).toBe(text);
  });
});
