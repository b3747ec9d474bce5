/** One piece of text in a tool definition, and where it sits (shown in findings). */
export interface TextLocation {
  location: string;
  text: string;
  /** What kind of text: instructions can hide in any of them, but a few rules only read some. */
  kind: "name" | "description" | "property_name" | "property_description" | "value";
}

export interface ToolUnderReview {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

const MAX_DEPTH = 12;
const MAX_LOCATIONS = 5_000;

const DESCRIPTIVE_KEYS = ["description", "title", "$comment"] as const;
const VALUE_KEYS = ["default", "const", "examples", "enum", "pattern", "format"] as const;

/**
 * Every string a model could read in a definition: the name and description, each parameter's
 * name, description and title, and values (defaults, enums, examples) at any depth. Poisoning is
 * not limited to the top-level description.
 */
export function textLocations(tool: ToolUnderReview): TextLocation[] {
  const out: TextLocation[] = [
    { location: "name", text: tool.name, kind: "name" },
    { location: "description", text: tool.description, kind: "description" },
  ];
  walkSchema(tool.schema, "schema", out, 0);
  return out;
}

function pushValues(value: unknown, location: string, out: TextLocation[], depth: number): void {
  if (out.length >= MAX_LOCATIONS || depth > MAX_DEPTH) return;
  if (typeof value === "string") out.push({ location, text: value, kind: "value" });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pushValues(v, `${location}[${i}]`, out, depth + 1);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push({ location: `${location}.${k}`, text: k, kind: "property_name" });
      pushValues(v, `${location}.${k}`, out, depth + 1);
    }
  }
}

function walkSchema(schema: unknown, location: string, out: TextLocation[], depth: number): void {
  if (out.length >= MAX_LOCATIONS || depth > MAX_DEPTH) return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return;
  const node = schema as Record<string, unknown>;
  for (const key of DESCRIPTIVE_KEYS) {
    const value = node[key];
    if (typeof value === "string")
      out.push({ location: `${location}.${key}`, text: value, kind: "property_description" });
  }
  for (const key of VALUE_KEYS) if (key in node) pushValues(node[key], `${location}.${key}`, out, depth + 1);
  const properties = node.properties;
  if (properties && typeof properties === "object" && !Array.isArray(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      const at = `${location}.properties.${name}`;
      out.push({ location: at, text: name, kind: "property_name" });
      walkSchema(child, at, out, depth + 1);
    }
  }
  for (const key of ["items", "additionalProperties", "not", "if", "then", "else"]) {
    if (node[key] && typeof node[key] === "object")
      walkSchema(node[key], `${location}.${key}`, out, depth + 1);
  }
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    const list = node[key];
    if (Array.isArray(list)) {
      for (const [i, c] of list.entries()) walkSchema(c, `${location}.${key}[${i}]`, out, depth + 1);
    }
  }
  for (const key of ["$defs", "definitions", "patternProperties"]) {
    const defs = node[key];
    if (defs && typeof defs === "object" && !Array.isArray(defs)) {
      for (const [name, child] of Object.entries(defs))
        walkSchema(child, `${location}.${key}.${name}`, out, depth + 1);
    }
  }
}

/** The property names and their schemas at the top level (what the model fills in). */
export function topLevelProperties(schema: Record<string, unknown>): [string, Record<string, unknown>][] {
  const properties = schema.properties;
  if (!properties || typeof properties !== "object" || Array.isArray(properties)) return [];
  return Object.entries(properties).map(([name, value]) => [
    name,
    value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {},
  ]);
}
