import { describe, expect, it } from "vitest";
import { compile } from "./compiler.js";
import { renderDiagnostic } from "./diagnostics.js";
import { format } from "./formatter.js";
import { parse } from "./parser.js";
import { LIMITS } from "./parser-state.js";
import { SourceText } from "./source.js";

/**
 * Asserts the work finishes in seconds: a parser that backtracks or goes quadratic on these inputs
 * would take minutes. The budget is loose because the test machine is shared.
 */
function timed<T>(work: () => T, budgetMs = 5000): T {
  const started = performance.now();
  const result = work();
  expect(performance.now() - started).toBeLessThan(budgetMs);
  return result;
}

const codes = (text: string) => parse(text).diagnostics.map((d) => d.code);

describe("hostile input", () => {
  it("stops at the nesting limit instead of overflowing the stack: 100 000 open parentheses", () => {
    const text = `agent a {\n    x: ${"(".repeat(100_000)}1\n}`;
    const result = timed(() => compile(text));
    expect(result.diagnostics.map((d) => d.code)).toContain("E1003");
    expect(result.definition).toBeNull();
  });

  it("bounds deep blocks, records, lists and unary chains alike", () => {
    const deepBlocks = `function f() ${"{ if x ".repeat(50_000)}`;
    const deepRecords = `agent a {\n    x: ${"{a: ".repeat(50_000)}`;
    const deepLists = `agent a {\n    x: ${"[".repeat(50_000)}`;
    const unary = `agent a {\n    x: ${"!".repeat(200_000)}true\n}`;
    for (const text of [deepBlocks, deepRecords, deepLists, unary]) {
      expect(timed(() => codes(text))).toContain("E1003");
    }
  });

  it("bounds long operator and call chains, so later passes cannot recurse too deep either", () => {
    const sum = `agent a {\n    x: ${Array.from({ length: 100_000 }, () => "a").join(" + ")}\n}`;
    const calls = `agent a {\n    x: f${"()".repeat(100_000)}\n}`;
    const members = `agent a {\n    x: a${".b".repeat(100_000)}\n}`;
    for (const text of [sum, calls, members]) {
      expect(timed(() => codes(text))).toContain("E1003");
      expect(() => format(text)).not.toThrow();
    }
  });

  it("accepts nesting within the limit and formats and compiles it", () => {
    const depth = 40;
    const text = `agent a {\n    x: ${"[".repeat(depth)}1${"]".repeat(depth)}\n}\n`;
    expect(codes(text)).toEqual([]);
    expect(compile(text).definition).not.toBeNull();
    expect(format(text).ok).toBe(true);
  });

  it("refuses a source over the size limit with one clear error", () => {
    const text = `# ${"x".repeat(LIMITS.maxSourceLength)}`;
    const result = timed(() => parse(text));
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: "E0006" });
  });

  it("caps the number of errors it reports", () => {
    const text = Array.from({ length: 5000 }, () => "§").join("\n");
    const result = timed(() => parse(text));
    expect(result.diagnostics.length).toBeLessThanOrEqual(LIMITS.maxErrors + 1);
    expect(result.diagnostics.at(-1)?.code).toBe("E1004");
  });

  it("handles a near-limit file of unterminated strings and comments in linear time", () => {
    const text = `${'"'.repeat(300_000)}\n${"/*".repeat(100_000)}`;
    const result = timed(() => parse(text));
    expect(result.diagnostics.length).toBeGreaterThan(0);
  });

  it("renders a readable code frame for an error on a 500 000-character line", () => {
    const text = `agent a {\n    x: "${"y".repeat(250_000)}" ? ${"z".repeat(250_000)}\n}`;
    const result = parse(text);
    const diagnostic = result.diagnostics[0]!;
    const frame = renderDiagnostic(new SourceText(text), diagnostic);
    expect(frame.length).toBeLessThan(1000);
    expect(frame).toContain("…");
  });

  it("reads unicode-heavy text: strings keep it, positions count code points", () => {
    const text = 'agent a {\n    name: "エージェント 🤖 Ωμέγα"\n    description: "🤖🤖" x\n}';
    const result = parse(text);
    expect(result.diagnostics).toHaveLength(1);
    // The error is at `x`: column 23, counting each emoji as one character.
    expect(new SourceText(text).position(result.diagnostics[0]!.span.start)).toEqual({ line: 3, column: 23 });
    const ok = compile('agent a {\n    name: "エージェント 🤖"\n}');
    expect(ok.definition?.agents[0]?.display_name).toBe("エージェント 🤖");
  });

  it("reports letters outside ASCII in names as unexpected characters, with a hint", () => {
    const [first] = parse("agent café {\n}").diagnostics;
    expect(first).toMatchObject({ code: "E0001", message: "unexpected character 'é'" });
    expect(first?.hint).toMatch(/ASCII/);
  });

  it("never throws on random input", () => {
    // A fixed-seed generator, so a failure reproduces.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = [
      "agent",
      "policy",
      "{",
      "}",
      "(",
      ")",
      "[",
      "]",
      '"',
      ":",
      "=",
      ",",
      "->",
      "if",
      "with",
      "\n",
      " ",
      "x",
      "1",
      "5m",
      "#",
      "//",
      "/*",
      "*/",
      "ü",
      "\u0000",
      '"""',
      "?",
      "!",
      ".",
    ];
    for (let i = 0; i < 300; i++) {
      const length = Math.floor(random() * 200);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      expect(() => {
        compile(text);
        format(text);
      }).not.toThrow();
    }
  });
});
