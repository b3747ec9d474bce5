import { describe, expect, it } from "vitest";
import { compile } from "./compiler.js";
import { isError, renderDiagnostic } from "./diagnostics.js";
import { brokenFixtures } from "./test/fixtures.js";

describe("broken .symbi files", () => {
  const cases = brokenFixtures();

  it("there is a set of them", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    "%s gets its error at the right line and column",
    (_, c) => {
      const result = compile(c.text, c.name);
      expect(result.definition).toBeNull();
      const first = result.diagnostics.find(isError)!;
      const at = result.source.position(first.span.start);
      expect({ line: at.line, column: at.column, code: first.code }).toEqual({
        line: c.line,
        column: c.column,
        code: c.code,
      });
      // The frame names the file and position, quotes the line and puts a caret under the column.
      const frame = renderDiagnostic(result.source, first);
      expect(frame).toContain(`--> ${c.name}:${c.line}:${c.column}`);
      const lines = frame.split("\n");
      const quoted = lines.findIndex(
        (l) => l.startsWith(`${c.line} |`) || l.trimStart().startsWith(`${c.line} |`),
      );
      expect(quoted).toBeGreaterThan(0);
      const caretLine = lines[quoted + 1]!;
      const textStart = lines[quoted]!.indexOf("|") + 2;
      expect(caretLine.indexOf("^") - textStart + 1).toBe(c.column);
    },
  );
});
