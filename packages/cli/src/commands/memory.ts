import type { MemoryNode } from "@symbiont/sdk";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

const LEVELS = ["short_term", "long_term", "episodic", "semantic"] as const;
const TYPES = ["conversation", "fact", "experience", "context", "metadata"] as const;

function number(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new CliError(
      `${flag} must be a number between ${min} and ${max}, not ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  }
  return parsed;
}

const textOf = (memory: MemoryNode) =>
  typeof memory.content.text === "string" ? memory.content.text : JSON.stringify(memory.content);

function memoryTable(memories: MemoryNode[]): string {
  if (memories.length === 0) return "No memories.";
  return table(
    ["ID", "LEVEL", "TYPE", "IMPORTANCE", "SCORE", "CREATED", "CONTENT"],
    memories.map((m) => [
      m.id,
      m.memory_level,
      m.memory_type,
      m.importance_score.toFixed(2),
      m.score === undefined ? "-" : m.score.toFixed(3),
      m.timestamp,
      textOf(m),
    ]),
    60,
  );
}

export function registerMemoryCommands(program: Command): void {
  const memory = program
    .command("memory")
    .description("Agents' memories: add, search, list, consolidate, forget")
    .addHelpText(
      "after",
      `
Levels: ${LEVELS.join(", ")}. Types: ${TYPES.join(", ")}.

Examples:
  symbiont memory add helper "Alice prefers green tea" --type fact --level long_term --importance 0.8
  symbiont memory search helper "what does Alice drink?"
  symbiont memory list helper --limit 20
  symbiont memory consolidate helper
  symbiont memory forget 0b7f4c1e-...`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  memory
    .command("add <agent> <text>")
    .description("Store a memory (content {text})")
    .option("--type <type>", `memory type: ${TYPES.join(", ")}`, "fact")
    .option("--level <level>", `memory level: ${LEVELS.join(", ")}`, "long_term")
    .option("--importance <0..1>", "importance (default: computed from type and level)")
    .option("--conversation <id>", "the conversation it belongs to")
    .action(
      async (
        agent: string,
        text: string,
        flags: { type: string; level: string; importance?: string; conversation?: string },
        command: Command,
      ) => {
        const options = globals(command);
        const { memory: stored } = await clientFrom(options).memory.add({
          agent_id: agent,
          content: { text },
          // Checked by the server, which names a misspelt value.
          memory_type: flags.type as (typeof TYPES)[number],
          memory_level: flags.level as (typeof LEVELS)[number],
          importance_score: number("--importance", flags.importance, 0, 1) ?? null,
          conversation_id: flags.conversation ?? null,
        });
        createOutput(Boolean(options.json)).result(
          stored,
          () =>
            `Stored memory ${stored.id} for ${agent} (${stored.memory_level}, importance ${stored.importance_score.toFixed(2)}).`,
        );
      },
    );

  memory
    .command("search <agent> [query]")
    .description("Rank memories by relevance to a text (hybrid keyword + vector), or filter them")
    .option("--level <level>", "only this level (repeatable)", (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option("--contains <text>", "content contains this text (case-insensitive)")
    .option("--min-importance <0..1>", "importance at least this")
    .option("--limit <n>", "at most this many", "10")
    .action(
      async (
        agent: string,
        query: string | undefined,
        flags: { level?: string[]; contains?: string; minImportance?: string; limit: string },
        command: Command,
      ) => {
        const options = globals(command);
        const found = await clientFrom(options).memory.search({
          agent_id: agent,
          query: query ?? null,
          memory_levels: (flags.level as (typeof LEVELS)[number][] | undefined) ?? null,
          content_contains: flags.contains ?? null,
          importance_threshold: number("--min-importance", flags.minImportance, 0, 1) ?? null,
          limit: number("--limit", flags.limit, 1, 1000) ?? 10,
        });
        createOutput(Boolean(options.json)).result(
          found,
          () =>
            `${memoryTable(found.memories)}\n\n${found.memories.length} of ${found.total_count} in ${found.search_time_ms.toFixed(1)} ms`,
        );
      },
    );

  memory
    .command("list <agent>")
    .description("An agent's memories, newest first")
    .option("--limit <n>", "at most this many", "100")
    .action(async (agent: string, flags: { limit: string }, command: Command) => {
      const options = globals(command);
      const found = await clientFrom(options).memory.list(agent, number("--limit", flags.limit, 1, 1000));
      createOutput(Boolean(options.json)).result(
        found,
        () => `${memoryTable(found.memories)}\n\n${found.memories.length} of ${found.total_count}`,
      );
    });

  memory
    .command("get <agent> <memory-id>")
    .description("Show one memory (counts as a recall)")
    .action(async (agent: string, id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const { memory: found } = await clientFrom(options).memory.get({ agent_id: agent, memory_id: id });
      createOutput(Boolean(options.json)).result(found, () => JSON.stringify(found, null, 2));
    });

  memory
    .command("consolidate <agent>")
    .description(
      "Prune expired and over-cap memories, merge near-duplicates (kept as history), promote; with memorySummaryModel set on the server, summarise old episodic memories into semantic ones",
    )
    .action(async (agent: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const report = await clientFrom(options).memory.consolidate(agent);
      createOutput(Boolean(options.json)).result(
        report,
        () => `${report.message ?? "Consolidated"} in ${report.execution_time_ms.toFixed(1)} ms.`,
      );
    });

  memory
    .command("forget <memory-id>")
    .description("Delete a memory from every store (row, keyword index, vector index)")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const deleted = await clientFrom(options).memory.delete(id);
      createOutput(Boolean(options.json)).result(deleted, () => `Forgot memory ${id}.`);
    });
}
