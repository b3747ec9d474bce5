import { createHash } from "node:crypto";

/**
 * SchemaPin's canonical form: object keys sorted recursively (by UTF-16 code units, as JSON.stringify
 * sorts would), no insignificant whitespace, UTF-8. Arrays keep their order.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

export interface ToolDefinitionParts {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/**
 * What the gate compares: the name, description and schema together, so a changed description
 * (the usual carrier of poisoning) counts as a new definition just as a changed schema does.
 */
export function definitionHash(tool: ToolDefinitionParts): string {
  return createHash("sha256")
    .update(canonicalJson({ name: tool.name, description: tool.description, schema: tool.schema }), "utf8")
    .digest("hex");
}
