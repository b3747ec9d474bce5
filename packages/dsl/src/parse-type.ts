import type { Param, TypeRef } from "./ast.js";
import { parseExpression } from "./parse-expression.js";
import type { ParserState } from "./parser-state.js";
import { describeToken } from "./tokens.js";

/** `Name`, `Name<Arg, …>`, each optionally followed by `?`. */
export function parseTypeRef(p: ParserState): TypeRef {
  const start = p.current;
  const name = p.identifier("a type name");
  const args: TypeRef[] = [];
  p.enter();
  try {
    if (p.accept("<")) {
      do args.push(parseTypeRef(p));
      while (p.accept(","));
      if (!p.accept(">")) {
        p.fail(
          `expected ',' or '>' in the type arguments of ${name.text}, found ${describeToken(p.current)}`,
          {
            expected: ["','", "'>'"],
          },
        );
      }
    }
  } finally {
    p.leave();
  }
  const optional = p.accept("?") !== undefined;
  return { kind: "TypeRef", name: name.text, args, optional, span: p.spanFrom(start) };
}

/** `(name: Type = default, …)`; the opening parenthesis is at the cursor. */
export function parseParams(p: ParserState, owner: string): Param[] {
  p.expect("(", `to open the parameters of ${owner}`);
  const params: Param[] = [];
  while (!p.isPunct(")")) {
    const start = p.current;
    const name = p.identifier("a parameter name");
    const type = p.accept(":") ? parseTypeRef(p) : null;
    const value = p.accept("=") ? parseExpression(p) : null;
    params.push({ name: name.text, type, default: value, span: p.spanFrom(start) });
    if (!p.accept(",")) break;
  }
  if (!p.accept(")")) {
    p.fail(`expected ',' or ')' in the parameters of ${owner}, found ${describeToken(p.current)}`, {
      expected: ["','", "')'"],
    });
  }
  return params;
}
