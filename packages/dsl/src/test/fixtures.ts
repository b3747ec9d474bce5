import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../../test-fixtures/", import.meta.url));

export function fixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, "utf8");
}

export function brokenFixtures(): {
  name: string;
  text: string;
  line: number;
  column: number;
  code: string;
}[] {
  return readdirSync(`${FIXTURES}broken`)
    .filter((f) => f.endsWith(".symbi"))
    .sort()
    .map((name) => {
      const text = readFileSync(`${FIXTURES}broken/${name}`, "utf8");
      const match = /^# expect: (\d+):(\d+) (\w+)/.exec(text);
      if (!match) throw new Error(`${name} lacks its '# expect: line:column CODE' header`);
      return { name, text, line: Number(match[1]), column: Number(match[2]), code: match[3]! };
    });
}

/** An AST without positions, to compare meaning across formatting. */
export function withoutSpans(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v) =>
      key === "span" || key === "keySpan" || key === "nameSpan" ? undefined : v,
    ),
  );
}
