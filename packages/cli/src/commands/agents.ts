import { readFileSync } from "node:fs";
import type { AgentCreateRequest, AgentDefinition, AgentUpdateRequest } from "@symbiont/sdk";
import { type Command, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";

interface AgentFlags {
  file?: string;
  name?: string;
  description?: string;
  systemPrompt?: string;
  systemPromptFile?: string;
  model?: string;
  tool?: string[];
  temperature?: string;
  topP?: string;
  maxTokens?: string;
}

const DEFAULTS = {
  description: "",
  system_prompt: "",
  tools: [] as string[],
  temperature: 0.7,
  top_p: 1,
  max_tokens: 4096,
};

function number(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
    throw new CliError(
      `${flag} must be ${integer ? "a whole number" : "a number"}, not ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  }
  return parsed;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(
      `${flag} ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
      ExitCode.usage,
    );
  }
}

function readAgentFile(path: string): Record<string, unknown> {
  const text = readText(path, "--file");
  try {
    const parsed: unknown = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--file ${path} could not be parsed: ${(error as Error).message}`, ExitCode.usage);
  }
  throw new CliError(`--file ${path} must hold one agent as a mapping of fields`, ExitCode.usage);
}

/** The fields the flags set; a flag not given is absent, so it neither overrides a file nor an update. */
function fieldsFromFlags(flags: AgentFlags): Partial<AgentCreateRequest> {
  const fields: Partial<AgentCreateRequest> = {};
  if (flags.name !== undefined) fields.name = flags.name;
  if (flags.description !== undefined) fields.description = flags.description;
  if (flags.systemPrompt !== undefined && flags.systemPromptFile !== undefined) {
    throw new CliError("Give --system-prompt or --system-prompt-file, not both", ExitCode.usage);
  }
  if (flags.systemPrompt !== undefined) fields.system_prompt = flags.systemPrompt;
  if (flags.systemPromptFile !== undefined)
    fields.system_prompt = readText(flags.systemPromptFile, "--system-prompt-file");
  if (flags.model !== undefined) fields.model = flags.model;
  if (flags.tool !== undefined) fields.tools = flags.tool;
  const temperature = number("--temperature", flags.temperature);
  if (temperature !== undefined) fields.temperature = temperature;
  const topP = number("--top-p", flags.topP);
  if (topP !== undefined) fields.top_p = topP;
  const maxTokens = number("--max-tokens", flags.maxTokens, true);
  if (maxTokens !== undefined) fields.max_tokens = maxTokens;
  return fields;
}

function addAgentFieldOptions(command: Command): Command {
  return command
    .option("--name <name>", "display name")
    .option("--description <text>", "what the agent is for")
    .option("--system-prompt <text>", "the system prompt")
    .option("--system-prompt-file <path>", "read the system prompt from a file")
    .option("--model <model>", "model name, e.g. llama3.2 or gpt-4o")
    .addOption(
      new Option("--tool <name>", "a tool the agent may use (repeat for more)").argParser(
        (value: string, previous: string[] = []) => [...previous, value],
      ),
    )
    .option("--temperature <n>", "sampling temperature, 0-2")
    .option("--top-p <n>", "nucleus sampling, 0-1")
    .option("--max-tokens <n>", "longest answer in tokens");
}

function describeAgent(agent: AgentDefinition, state?: string): string {
  const rows: [string, string][] = [
    ["id", agent.id],
    ["name", agent.name],
    ["state", state ?? agent.state],
    ["model", agent.model],
    ["temperature", String(agent.temperature)],
    ["top_p", String(agent.top_p)],
    ["max_tokens", String(agent.max_tokens)],
    ["tools", agent.tools.join(", ") || "(none)"],
    ["version", String(agent.version)],
    ["created", agent.created_at],
    ["updated", agent.updated_at],
    ["description", agent.description || "(none)"],
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  return [
    ...lines,
    "system prompt:",
    ...(agent.system_prompt ? agent.system_prompt.split("\n").map((l) => `  ${l}`) : ["  (none)"]),
  ].join("\n");
}

export function registerAgentCommands(program: Command): void {
  const agents = program
    .command("agents")
    .description("Create, inspect, change and delete agents")
    .addHelpText(
      "after",
      '\nExamples:\n  symbiont agents create helper --model llama3.2 --system-prompt "You help." --tool search\n  symbiont agents list\n  symbiont agents get helper --json\n  symbiont agents update helper --temperature 0.2\n  symbiont agents delete helper',
    );
  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

  agents
    .command("list")
    .description("List agents: id, name, model, state")
    .action(async (_options: unknown, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const all: AgentDefinition[] = [];
      for await (const agent of client.agents.definitions()) all.push(agent);
      createOutput(Boolean(options.json)).result(all, () =>
        all.length === 0
          ? "No agents yet. Create one with: symbiont agents create <id> --model <model>"
          : table(
              ["ID", "NAME", "MODEL", "STATE", "UPDATED"],
              all.map((a) => [a.id, a.name, a.model, a.state, a.updated_at]),
            ),
      );
    });

  agents
    .command("get <id>")
    .description("Show an agent's definition and current state")
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const [definition, status] = await Promise.all([client.agents.get(id), client.agents.status(id)]);
      createOutput(Boolean(options.json)).result({ ...definition, status }, () =>
        describeAgent(definition, status.state),
      );
    });

  addAgentFieldOptions(
    agents
      .command("create <id>")
      .description("Create an agent; id is 1-128 of A-Z a-z 0-9 . _ : @ -")
      .option("--file <path>", "read fields from a YAML or JSON file; flags override it"),
  )
    .addHelpText(
      "after",
      `\nUnset fields default to: name = the id, ${Object.entries(DEFAULTS)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(", ")}.`,
    )
    .action(async (id: string, flags: AgentFlags, command: Command) => {
      const options = globals(command);
      const fromFile = flags.file ? readAgentFile(flags.file) : {};
      const agent = {
        ...DEFAULTS,
        name: id,
        ...fromFile,
        ...fieldsFromFlags(flags),
        id,
      } as AgentCreateRequest;
      if (!agent.model)
        throw new CliError("--model is required (or a model field in --file)", ExitCode.usage);
      const created = await clientFrom(options).agents.create(agent);
      createOutput(Boolean(options.json)).result(
        created,
        () => `Created agent ${created.agent_id} (state ${created.state}).`,
      );
    });

  addAgentFieldOptions(
    agents.command("update <id>").description("Change some fields of an agent; others stay as they are"),
  ).action(async (id: string, flags: AgentFlags, command: Command) => {
    const options = globals(command);
    const changes: AgentUpdateRequest = fieldsFromFlags(flags);
    if (Object.keys(changes).length === 0) {
      throw new CliError(
        "Nothing to change: give at least one of --name, --model, --system-prompt, … (see --help)",
        ExitCode.usage,
      );
    }
    const updated = await clientFrom(options).agents.update(id, changes);
    createOutput(Boolean(options.json)).result(
      updated,
      () => `Updated agent ${updated.id} (now version ${updated.version}).`,
    );
  });

  agents
    .command("delete <id>")
    .description("Delete an agent")
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = globals(command);
      const deleted = await clientFrom(options).agents.delete(id);
      createOutput(Boolean(options.json)).result(deleted, () => `Deleted agent ${deleted.agent_id}.`);
    });
}
