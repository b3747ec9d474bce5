import type { Program } from "./ast.js";

/**
 * Every name the program uses: identifiers in expressions, type names, typed records. Walks the AST
 * with an explicit stack, so depth never matters.
 */
export function referencedNames(program: Program): Set<string> {
  const names = new Set<string>();
  const stack: unknown[] = [...program.items];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    if (node === null || typeof node !== "object") continue;
    const record = node as Record<string, unknown>;
    if (record.kind === "Identifier" && typeof record.name === "string") names.add(record.name);
    if (record.kind === "TypeRef" && typeof record.name === "string") names.add(record.name);
    if (record.kind === "Record" && typeof record.typeName === "string") names.add(record.typeName);
    for (const [key, value] of Object.entries(record)) {
      if (key !== "span" && typeof value === "object") stack.push(value);
    }
  }
  return names;
}
