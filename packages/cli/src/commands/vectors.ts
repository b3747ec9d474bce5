import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

/** Point ids typed on the command line: digits are integer ids, anything else a string id. */
const pointId = (id: string): string | number => (/^\d{1,15}$/.test(id) ? Number(id) : id);

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not JSON: ${(error as Error).message}`, ExitCode.usage);
  }
}

/** `key=value` → equality on a payload key; numbers and booleans are typed. */
function filterOf(pairs: string[] | undefined): Record<string, string | number | boolean> | null {
  if (!pairs || pairs.length === 0) return null;
  const filter: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1)
      throw new CliError(`--filter must look like key=value, not ${JSON.stringify(pair)}`, ExitCode.usage);
    const raw = pair.slice(at + 1);
    filter[pair.slice(0, at)] =
      raw === "true" ? true : raw === "false" ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return filter;
}

export function registerVectorCommands(program: Command): void {
  const vectors = program
    .command("vectors")
    .description("Vector collections and their points")
    .addHelpText(
      "after",
      `
Examples:
  symbiont vectors create docs --size 384 --distance Cosine
  symbiont vectors upsert docs points.json      a JSON array of {id, vector, payload}
  symbiont vectors search docs --vector '[0.1, 0.2, ...]' --limit 5 --filter lang=en
  symbiont vectors get docs doc-001 1002
  symbiont vectors delete docs doc-001
  symbiont vectors list | info docs | count docs | drop docs`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  vectors
    .command("list")
    .description("Names of your collections")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const names = await clientFrom(options).vectors.listCollections();
      createOutput(Boolean(options.json)).result(names, () =>
        names.length === 0 ? "No collections." : names.join("\n"),
      );
    });

  vectors
    .command("create <name>")
    .description("Create a collection")
    .requiredOption("--size <n>", "vector size (dimensions)")
    .option("--distance <d>", "Cosine, Euclidean or Dot", "Cosine")
    .action(async (name: string, flags: { size: string; distance: string }, command: Command) => {
      const options = globals(command);
      const size = Number(flags.size);
      if (!Number.isInteger(size))
        throw new CliError(
          `--size must be a whole number, not ${JSON.stringify(flags.size)}`,
          ExitCode.usage,
        );
      const created = await clientFrom(options).vectors.createCollection({
        name,
        vector_size: size,
        distance: flags.distance as "Cosine",
      });
      createOutput(Boolean(options.json)).result(
        created,
        () => `Created collection ${name} (${size} dimensions, ${flags.distance}).`,
      );
    });

  vectors
    .command("info <name>")
    .description("A collection's configuration and counts")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const info = await clientFrom(options).vectors.collection(name);
      createOutput(Boolean(options.json)).result(info, () =>
        [
          `${info.collection_name}: ${info.points_count} points, ${info.vectors_count} vectors`,
          `size ${info.config.vector_size}, distance ${info.config.distance}, created ${info.created_at}`,
        ].join("\n"),
      );
    });

  vectors
    .command("count <name>")
    .description("How many points a collection holds")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const count = await clientFrom(options).vectors.count(name);
      createOutput(Boolean(options.json)).result({ count }, () => String(count));
    });

  vectors
    .command("drop <name>")
    .description("Delete a collection and all its points")
    .action(async (name: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const dropped = await clientFrom(options).vectors.deleteCollection(name);
      createOutput(Boolean(options.json)).result(dropped, () => `Deleted collection ${name}.`);
    });

  vectors
    .command("upsert <name> <file>")
    .description("Insert or replace points from a JSON file (- for stdin): an array of {id, vector, payload}")
    .action(async (name: string, file: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const text =
        file === "-"
          ? await readStdin()
          : await readFile(file, "utf8").catch((error: Error) => {
              throw new CliError(`Cannot read ${file}: ${error.message}`, ExitCode.usage);
            });
      const points = parseJson(file, text);
      if (!Array.isArray(points))
        throw new CliError(`${file} must hold a JSON array of points`, ExitCode.usage);
      const result = await clientFrom(options).vectors.upsert({ collection_name: name, points });
      createOutput(Boolean(options.json)).result(
        result,
        () => `Upserted ${result.points_count} points into ${name}.`,
      );
    });

  vectors
    .command("get <name> <ids...>")
    .description("Points by id")
    .action(async (name: string, ids: string[], _flags: unknown, command: Command) => {
      const options = globals(command);
      const points = await clientFrom(options).vectors.retrieve(name, ids.map(pointId));
      createOutput(Boolean(options.json)).result(points, () => JSON.stringify(points, null, 2));
    });

  vectors
    .command("search <name>")
    .description("Nearest neighbours of a vector")
    .requiredOption("--vector <json>", "the query vector as a JSON array")
    .option("--limit <n>", "at most this many", "10")
    .option(
      "--filter <key=value>",
      "payload equality (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--exact", "exact search instead of the approximate index")
    .action(
      async (
        name: string,
        flags: { vector: string; limit: string; filter?: string[]; exact?: boolean },
        command: Command,
      ) => {
        const options = globals(command);
        const vector = parseJson("--vector", flags.vector);
        if (!Array.isArray(vector))
          throw new CliError("--vector must be a JSON array of numbers", ExitCode.usage);
        const found = await clientFrom(options).vectors.search(name, {
          vector: vector as number[],
          limit: Number(flags.limit),
          filter: filterOf(flags.filter),
          exact: Boolean(flags.exact),
        });
        createOutput(Boolean(options.json)).result(found, () =>
          found.results.length === 0
            ? "No results."
            : table(
                ["SCORE", "ID", "PAYLOAD"],
                found.results.map((r) => [r.score.toFixed(4), String(r.id), JSON.stringify(r.payload ?? {})]),
                60,
              ),
        );
      },
    );

  vectors
    .command("delete <name> <ids...>")
    .description("Delete points by id")
    .action(async (name: string, ids: string[], _flags: unknown, command: Command) => {
      const options = globals(command);
      const deleted = await clientFrom(options).vectors.delete(name, ids.map(pointId));
      createOutput(Boolean(options.json)).result(
        deleted,
        () => `Deleted ${deleted.deleted} points from ${name}.`,
      );
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
