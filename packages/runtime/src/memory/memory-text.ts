import type { MemoryLevel, MemoryType } from "@symbiont/protocol";

/** The words of a memory's content: its string values (at any depth), else its JSON. */
export function textOfContent(content: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown, depth: number) => {
    if (depth > 16) return;
    if (typeof value === "string") parts.push(value);
    else if (typeof value === "number" || typeof value === "boolean") parts.push(String(value));
    else if (Array.isArray(value)) for (const item of value) walk(item, depth + 1);
    else if (value && typeof value === "object")
      for (const item of Object.values(value)) walk(item, depth + 1);
  };
  walk(content, 0);
  return parts.length > 0 ? parts.join("\n") : JSON.stringify(content);
}

const TYPE_IMPORTANCE: Record<MemoryType, number> = {
  fact: 0.6,
  experience: 0.5,
  context: 0.4,
  conversation: 0.3,
  metadata: 0.2,
};

/**
 * Importance when the caller gives none: facts and experiences outlast chit-chat, and what was
 * stored straight into a durable level was meant to last.
 */
export function computedImportance(type: MemoryType, level: MemoryLevel): number {
  const durable = level === "long_term" || level === "semantic" ? 0.1 : 0;
  return Math.min(1, TYPE_IMPORTANCE[type] + durable);
}

/** 1 for now, halving every `halfLifeDays`. */
export function recencyOf(createdAt: string, now: number, halfLifeDays = 30): number {
  const ageDays = Math.max(0, now - Date.parse(createdAt)) / 86_400_000;
  return 0.5 ** (ageDays / halfLifeDays);
}
