import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";

const CODE = new Set([
  ".ts",
  ".tsx",
  ".js",
  ".jsx",
  ".mjs",
  ".cjs",
  ".py",
  ".go",
  ".rs",
  ".java",
  ".kt",
  ".c",
  ".h",
  ".cc",
  ".cpp",
  ".hpp",
  ".cs",
  ".rb",
  ".php",
  ".swift",
  ".scala",
  ".sh",
  ".sql",
  ".symbi",
]);
const DOCUMENT = new Set([
  ".md",
  ".mdx",
  ".txt",
  ".rst",
  ".adoc",
  ".html",
  ".htm",
  ".json",
  ".yaml",
  ".yml",
  ".toml",
  ".csv",
  ".xml",
  ".ini",
  ".cfg",
]);
const SKIPPED_DIRECTORIES = new Set(["node_modules", "dist", "build", "target", "vendor", "__pycache__"]);

export interface KnowledgeFile {
  path: string;
  /** As shown and stored as the item's source: relative to where the command runs. */
  source: string;
  sourceType: "code" | "document";
}

/** Text files under a path (a file, or a directory walked recursively, skipping hidden and build folders). */
export async function knowledgeFiles(path: string): Promise<KnowledgeFile[]> {
  const root = resolve(path);
  const files: string[] = [];
  const walk = async (current: string) => {
    const info = await stat(current);
    if (info.isFile()) {
      files.push(current);
      return;
    }
    for (const entry of (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith(".")) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) await walk(full);
      else if (
        entry.isFile() &&
        (CODE.has(extname(entry.name).toLowerCase()) || DOCUMENT.has(extname(entry.name).toLowerCase()))
      )
        files.push(full);
    }
  };
  await walk(root);
  return files.map((file) => ({
    path: file,
    source: relative(process.cwd(), file) || file,
    sourceType: CODE.has(extname(file).toLowerCase()) ? "code" : "document",
  }));
}

/** The same file always gets the same id, so adding it again replaces its chunks. */
export function itemIdOf(file: KnowledgeFile): string {
  return `file-${createHash("sha256").update(file.path).digest("hex").slice(0, 32)}`;
}

/** The file as UTF-8 text, or why it cannot be added. */
export async function readText(
  file: KnowledgeFile,
  maxBytes: number,
): Promise<{ text: string } | { skipped: string }> {
  const bytes = await readFile(file.path);
  if (bytes.length === 0) return { skipped: "empty" };
  if (bytes.length > maxBytes) return { skipped: `larger than ${maxBytes} bytes` };
  if (bytes.includes(0)) return { skipped: "binary" };
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  return { text };
}

/** `[#######.............] 7/20 docs/guide.md` on one rewritten line. */
export function progressLine(done: number, total: number, label: string, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const shown = label.length > 40 ? `…${label.slice(-39)}` : label;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${shown}`;
}
