import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { itemIdOf, knowledgeFiles, progressLine, readText } from "./knowledge-files.js";

const SOURCE_TYPES = ["document", "code", "api_reference", "conversation"] as const;
type SourceType = (typeof SOURCE_TYPES)[number];
/** Under the runtime's default 1 MiB body limit, JSON escaping included. */
const MAX_FILE_BYTES = 512 * 1024;

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

export function registerKnowledgeCommands(program: Command): void {
  const knowledge = program
    .command("knowledge")
    .description("The knowledge base: add files, search, build RAG context")
    .addHelpText(
      "after",
      `
Examples:
  symbiont knowledge add docs/              every text file under docs/, chunked; re-adding replaces
  symbiont knowledge add notes.md --agent helper
  symbiont knowledge search "how do rate limits work" --threshold 0.3
  symbiont knowledge context "how do rate limits work" --max-tokens 1500
  symbiont knowledge delete file-3f2a...`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  knowledge
    .command("add <path>")
    .description("Add a file or every text file under a directory (progress bar on a terminal)")
    .option("--agent <id>", "make the items that agent's (default: shared by the tenant)")
    .option(
      "--type <type>",
      `source type for every file: ${SOURCE_TYPES.join(", ")} (default: code or document by extension)`,
    )
    .action(async (path: string, flags: { agent?: string; type?: string }, command: Command) => {
      const options = globals(command);
      const out = createOutput(Boolean(options.json));
      const client = clientFrom(options);
      let files: Awaited<ReturnType<typeof knowledgeFiles>>;
      try {
        files = await knowledgeFiles(path);
      } catch (error) {
        throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, ExitCode.usage);
      }
      const tty = Boolean(process.stderr.isTTY) && !options.json;
      const added: { id: string; source: string; chunks: number; status: string }[] = [];
      const skipped: { source: string; reason: string }[] = [];
      for (const [i, file] of files.entries()) {
        if (tty) process.stderr.write(`\r\x1b[K${progressLine(i, files.length, file.source)}`);
        const read = await readText(file, MAX_FILE_BYTES);
        if ("skipped" in read) {
          skipped.push({ source: file.source, reason: read.skipped });
          continue;
        }
        const result = await client.knowledge.add({
          id: itemIdOf(file),
          content: read.text,
          metadata: {
            source: file.source,
            source_type: (flags.type as SourceType | undefined) ?? file.sourceType,
            agent_id: flags.agent ?? null,
          },
        });
        added.push({ id: result.id, source: file.source, chunks: result.chunks, status: result.status });
      }
      if (tty) process.stderr.write(`\r\x1b[K${progressLine(files.length, files.length, "done")}\n`);
      out.result({ added, skipped }, () => {
        const lines = [
          `Added ${added.length} file${added.length === 1 ? "" : "s"} (${added.reduce((n, a) => n + a.chunks, 0)} chunks).`,
        ];
        for (const s of skipped) lines.push(`  skipped ${s.source}: ${s.reason}`);
        return lines.join("\n");
      });
    });

  knowledge
    .command("search <query>")
    .description("Hybrid (keyword + vector) search")
    .option("--threshold <-1..1>", "leave out results less similar than this", "0.3")
    .option("--limit <n>", "at most this many", "10")
    .option("--agent <id>", "only that agent's items")
    .option(
      "--type <type>",
      "only this source type (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(
      async (
        query: string,
        flags: { threshold: string; limit: string; agent?: string; type?: string[] },
        command: Command,
      ) => {
        const options = globals(command);
        const found = await clientFrom(options).knowledge.search({
          query,
          agent_id: flags.agent ?? null,
          source_types: (flags.type as SourceType[] | undefined) ?? [],
          limit: number("--limit", flags.limit, 1, 1000) ?? 10,
          similarity_threshold: number("--threshold", flags.threshold, -1, 1) ?? 0.3,
        });
        createOutput(Boolean(options.json)).result(found, () =>
          found.results.length === 0
            ? "No results."
            : table(
                ["SCORE", "ID", "SOURCE", "CHUNK", "CONTENT"],
                found.results.map((r) => [
                  r.similarity_score.toFixed(3),
                  r.item.id,
                  r.item.metadata.source,
                  String(r.item.metadata.chunk_index ?? "-"),
                  r.item.content,
                ]),
                60,
              ),
        );
      },
    );

  knowledge
    .command("context <query>")
    .description("The context a model would get: best chunks with sources, within a token budget")
    .option("--max-items <n>", "at most this many chunks", "5")
    .option("--max-tokens <n>", "token budget", "4000")
    .option("--agent <id>", "that agent's items and memories too")
    .action(
      async (
        query: string,
        flags: { maxItems: string; maxTokens: string; agent?: string },
        command: Command,
      ) => {
        const options = globals(command);
        const context = await clientFrom(options).knowledge.context({
          query,
          agent_id: flags.agent ?? null,
          max_context_items: number("--max-items", flags.maxItems, 1, 100) ?? 5,
          max_tokens: number("--max-tokens", flags.maxTokens, 16, 200_000) ?? 4000,
        });
        createOutput(Boolean(options.json)).result(
          context,
          () =>
            context.context_items
              .map(
                (text, i) =>
                  `[${i + 1}] ${context.sources[i]} (${context.relevance_scores[i]?.toFixed(3)})\n${text}`,
              )
              .join("\n\n") || "No context.",
        );
      },
    );

  knowledge
    .command("delete <id>")
    .description("Delete an item and all its chunks")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const deleted = await clientFrom(options).knowledge.delete(id);
      createOutput(Boolean(options.json)).result(deleted, () => `Deleted knowledge item ${id}.`);
    });
}
