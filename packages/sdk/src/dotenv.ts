import { SymbiontError } from "./errors.js";
import { nodeProcess } from "./platform.js";

export interface DotEnvFile {
  path: string;
  values: ReadonlyMap<string, string>;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * KEY=VALUE lines as shells and docker compose write them: `export ` prefixes, `#` comments (whole
 * line, or after whitespace in an unquoted value), single quotes taken literally, double quotes with
 * backslash escapes. Anything else on a line that is not an assignment is ignored, as dotenv does.
 */
export function parseDotEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = ASSIGNMENT.exec(line);
    if (match) values.set(match[1]!, parseValue(match[2]!.trim()));
  }
  return values;
}

function parseValue(raw: string): string {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end > 0) return raw.slice(1, end);
  }
  if (raw.startsWith('"')) {
    let value = "";
    for (let i = 1; i < raw.length; i += 1) {
      const char = raw[i]!;
      if (char === '"') return value;
      if (char === "\\" && i + 1 < raw.length) {
        const next = raw[i + 1]!;
        value += ESCAPES[next] ?? `\\${next}`;
        i += 1;
      } else {
        value += char;
      }
    }
  }
  return raw.replace(/\s+#.*$/, "").trim();
}

/**
 * `<dir>/.env`, read synchronously so a plain `new SymbiontClient()` sees it. Null outside Node (and
 * on Node before 20.16, which lacks process.getBuiltinModule) and when there is no such file.
 */
export function readDotEnvFile(dir: string): DotEnvFile | null {
  const fs = nodeProcess()?.getBuiltinModule?.("node:fs");
  if (!fs) return null;
  const path = `${dir.replace(/[\\/]+$/, "")}/.env`;
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new SymbiontError(`could not read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return { path, values: parseDotEnv(text) };
}
