import { readFileSync } from "node:fs";
import { ORCHESTRA_SYNTHESISER, ORCHESTRA_VOICES, orchestraWorkflow } from "@symbiont/protocol";
import {
  ConflictError,
  type SymbiontClient,
  type WorkflowDefinition,
  type WorkflowDefinitionCreate,
  type WorkflowExecution,
} from "@symbiont/sdk";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { clientFrom, type GlobalOptions } from "../client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { repeatable } from "./repeatable.js";
import { describeEvent } from "./runs.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

function readDefinition(path: string): WorkflowDefinitionCreate {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `${path}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
      ExitCode.usage,
    );
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CliError(`${path} could not be parsed: ${(error as Error).message}`, ExitCode.usage);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new CliError(`${path} must hold one workflow definition (name, parameters, steps)`, ExitCode.usage);
  return parsed as WorkflowDefinitionCreate;
}

/** `-p key=value`: the value is JSON when it parses as JSON (numbers, lists, true), else text. */
function parameters(pairs: string[] = [], json?: string): Record<string, unknown> {
  let base: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      base = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`--params-json is not JSON: ${(error as Error).message}`, ExitCode.usage);
    }
    if (!base || typeof base !== "object" || Array.isArray(base))
      throw new CliError("--params-json must be a JSON object", ExitCode.usage);
  }
  for (const pair of pairs) {
    const split = pair.indexOf("=");
    if (split < 1) throw new CliError(`-p ${pair}: write it as name=value`, ExitCode.usage);
    const value = pair.slice(split + 1);
    try {
      base[pair.slice(0, split)] = JSON.parse(value);
    } catch {
      base[pair.slice(0, split)] = value;
    }
  }
  return base;
}

const describeDefinition = (d: WorkflowDefinition) =>
  [
    `${d.name}  v${d.version}  ${d.id}`,
    d.description,
    `parameters: ${Object.keys(d.parameters).join(", ") || "none"}`,
    ...d.steps.map((s) => `  ${String(s.id)}  (${String(s.type)})`),
  ]
    .filter(Boolean)
    .join("\n");

const short = (value: unknown, max = 80) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

function describeExecution(e: WorkflowExecution): string {
  const lines = [
    `${e.id}  ${e.workflow_name} v${e.version}  ${e.status}${e.error ? `: ${e.error}` : ""}`,
    table(
      ["STEP", "TYPE", "STATUS", "ATTEMPTS", "OUTPUT / ERROR"],
      e.steps.map((s) => [s.id, s.type, s.status, String(s.attempts), short(s.error ?? s.output ?? "")]),
      80,
    ),
  ];
  if (e.pending_approval)
    lines.push(
      `Waiting for approval of step ${e.pending_approval.step_id}: ${e.pending_approval.message}`,
      `  symbiont workflows approve ${e.id}   (or deny)`,
    );
  if (e.result) lines.push(`result: ${JSON.stringify(e.result, null, 2)}`);
  return lines.join("\n");
}

function exitFor(e: WorkflowExecution): void {
  if (e.status === "succeeded" || e.status === "awaiting_approval") return;
  throw new CliError(
    `Workflow execution ${e.id} ${e.status}${e.error ? `: ${e.error}` : ""}`,
    ExitCode.failure,
  );
}

/** Creates the orchestra's agents that are missing, with the model given. */
async function ensureVoices(client: SymbiontClient, model: string | undefined, log: (line: string) => void) {
  for (const voice of [...ORCHESTRA_VOICES, ORCHESTRA_SYNTHESISER]) {
    if (!model)
      throw new CliError(
        "--create makes the orchestra's agents: give the model they use with --model (e.g. --model llama3.2), or name existing agents with --reflectors and --synthesiser",
        ExitCode.usage,
      );
    try {
      await client.agents.create({
        id: voice.id,
        name: voice.id,
        description: "a voice of the orchestra workflow",
        system_prompt: voice.system_prompt,
        tools: [],
        model,
        temperature: 0.7,
        top_p: 1,
        max_tokens: 1024,
      });
      log(`created agent ${voice.id}`);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      log(`agent ${voice.id} exists; kept as it is`);
    }
  }
}

export function registerWorkflowCommands(program: Command): void {
  const workflows = program
    .command("workflows")
    .description("Workflows: DAGs of agent, tool, branch, map, approval and disagreement steps")
    .addHelpText(
      "after",
      `
A definition (YAML or JSON) names parameters and steps. Steps start as soon as the steps they
read ({{ steps.<id>.output }}) or list in depends_on have finished, so independent steps run in
parallel. Templates: {{ params.x }}, {{ steps.id.output.field }}, {{ item }} / {{ index }} in a map.

  name: triage
  parameters:
    ticket: { type: string, required: true }
  steps:
    - { id: summary, type: agent, agent_id: helper, input: "Summarise: {{ params.ticket }}" }
    - { id: urgent, type: branch, condition: "steps.summary.output contains 'outage'", when_true: [page] }
    - { id: page, type: approval, message: "Page the on-call for {{ steps.summary.output }}?" }

Examples:
  symbiont workflows create triage.yaml
  symbiont workflows run triage -p ticket="Site down since 9:00"
  symbiont workflows status <execution-id>
  symbiont workflows template orchestra --create --model llama3.2`,
    );

  workflows
    .command("create <file>")
    .description(
      "Create a workflow from a YAML or JSON file (- for stdin); --new-version publishes a new version",
    )
    .option("--new-version", "the workflow exists: publish this file as its next version")
    .action(async (file: string, flags: { newVersion?: boolean }, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const definition = readDefinition(file);
      let created: WorkflowDefinition;
      if (flags.newVersion) {
        const { name, ...spec } = definition;
        if (typeof name !== "string")
          throw new CliError(
            `${file} must name the workflow (name: ...) to publish a version of it`,
            ExitCode.usage,
          );
        created = await client.workflows.createVersion(name, spec);
      } else {
        try {
          created = await client.workflows.create(definition);
        } catch (error) {
          if (error instanceof ConflictError)
            throw new CliError(
              `${error.message}. Add --new-version to publish this file as its next version.`,
              ExitCode.failure,
            );
          throw error;
        }
      }
      createOutput(Boolean(options.json)).result(
        created,
        () => `Created ${created.name} v${created.version} (${created.id})`,
      );
    });

  workflows
    .command("list")
    .description("Workflows, latest version of each")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).workflows.list();
      createOutput(Boolean(options.json)).result(list, () =>
        list.items.length
          ? table(
              ["NAME", "VERSION", "STEPS", "ID", "DESCRIPTION"],
              list.items.map((d) => [d.name, String(d.version), String(d.steps_count), d.id, d.description]),
            )
          : "No workflows yet: symbiont workflows create <file>",
      );
    });

  workflows
    .command("get <workflow>")
    .description("A workflow's definition (by name or id)")
    .option("--workflow-version <n>", "this version rather than the latest")
    .action(async (workflow: string, flags: { workflowVersion?: string }, command: Command) => {
      const options = globals(command);
      const version = flags.workflowVersion === undefined ? undefined : Number(flags.workflowVersion);
      if (version !== undefined && (!Number.isInteger(version) || version < 1))
        throw new CliError(
          `--workflow-version must be a whole number of at least 1, not ${flags.workflowVersion}`,
          ExitCode.usage,
        );
      const definition = await clientFrom(options).workflows.get(workflow, version);
      createOutput(Boolean(options.json)).result(definition, () => describeDefinition(definition));
    });

  workflows
    .command("versions <workflow>")
    .description("Every version of a workflow, newest first")
    .action(async (workflow: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).workflows.versions(workflow);
      createOutput(Boolean(options.json)).result(list, () =>
        table(
          ["VERSION", "STEPS", "CREATED"],
          list.items.map((d) => [String(d.version), String(d.steps_count), d.created_at]),
        ),
      );
    });

  workflows
    .command("run <workflow>")
    .description("Execute a workflow, showing each step as it happens")
    .addOption(
      repeatable("-p, --param <name=value>", "a parameter; the value is JSON if it parses, else text"),
    )
    .option("--params-json <json>", "all parameters as one JSON object (-p values override)")
    .option("--agent <id>", "the agent for steps that name none")
    .option("--workflow-version <n>", "run this version rather than the latest")
    .option("--detach", "start it and print the execution id without waiting")
    .addHelpText(
      "after",
      `
Parameters may be secret references (secret://NAME or vault://mount/path#key): they are resolved
only inside tool calls, and stored and shown as references.

Examples:
  symbiont workflows run orchestra -p question="Should we rewrite it in Rust?"
  symbiont workflows run deploy -p replicas=3 -p token=secret://DEPLOY_TOKEN --agent ops
  symbiont workflows run nightly --detach && symbiont workflows status <execution-id>`,
    )
    .action(
      async (
        workflow: string,
        flags: {
          param?: string[];
          paramsJson?: string;
          agent?: string;
          workflowVersion?: string;
          detach?: boolean;
        },
        command: Command,
      ) => {
        const options = globals(command);
        const out = createOutput(Boolean(options.json));
        const client = clientFrom(options);
        const version = flags.workflowVersion === undefined ? undefined : Number(flags.workflowVersion);
        if (version !== undefined && (!Number.isInteger(version) || version < 1))
          throw new CliError(
            `--workflow-version must be a whole number of at least 1, not ${flags.workflowVersion}`,
            ExitCode.usage,
          );
        const started = await client.workflows.execute(workflow, parameters(flags.param, flags.paramsJson), {
          wait: false,
          ...(flags.agent ? { agentId: flags.agent } : {}),
          ...(version ? { version } : {}),
        });
        if (flags.detach) {
          out.result(started, () => `Started execution ${started.execution_id} of ${workflow}`);
          return;
        }
        out.info(`execution ${started.execution_id}`);
        const stop = new AbortController();
        const following = (async () => {
          try {
            for await (const event of client.runs.subscribe({
              executionId: started.execution_id,
              signal: stop.signal,
            })) {
              const line = describeEvent(event);
              if (line) out.info(line);
              if (event.type === "workflow.status" && event.status === "awaiting_approval") return;
            }
          } catch (error) {
            if (!stop.signal.aborted) throw error;
          }
        })();
        const execution = await client.workflows.waitForExecution(started.execution_id, { intervalMs: 500 });
        stop.abort();
        await following;
        out.result(execution, () => describeExecution(execution));
        exitFor(execution);
      },
    );

  workflows
    .command("status <execution-id>")
    .description("An execution: its status, every step, the result")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const execution = await clientFrom(options).workflows.getExecution(id);
      createOutput(Boolean(options.json)).result(execution, () => describeExecution(execution));
    });

  workflows
    .command("executions")
    .description("Executions, newest first")
    .option("--workflow <workflow>", "of this workflow only")
    .option("--limit <n>", "how many", "20")
    .action(async (flags: { workflow?: string; limit: string }, command: Command) => {
      const options = globals(command);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new CliError(
          `--limit must be a whole number from 1 to 500, not ${flags.limit}`,
          ExitCode.usage,
        );
      const page = await clientFrom(options).workflows.listExecutionsPage({
        limit,
        ...(flags.workflow ? { workflow_id: flags.workflow } : {}),
      });
      createOutput(Boolean(options.json)).result(page, () =>
        page.items.length
          ? table(
              ["ID", "WORKFLOW", "VERSION", "STATUS", "STARTED"],
              page.items.map((e) => [e.id, e.workflow_name, String(e.version), e.status, e.started_at]),
            )
          : "No executions",
      );
    });

  workflows
    .command("cancel <execution-id>")
    .description("Cancel an unfinished execution and the agent runs of its steps")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const execution = await clientFrom(options).workflows.cancel(id);
      createOutput(Boolean(options.json)).result(
        execution,
        () => `Execution ${execution.id} ${execution.status}`,
      );
    });

  for (const decision of ["approve", "deny"] as const) {
    workflows
      .command(`${decision} <execution-id>`)
      .description(
        decision === "approve"
          ? "Approve the step the execution waits on; it goes on"
          : "Deny the step the execution waits on; the execution fails",
      )
      .option("--comment <text>", "why (kept on the step and in the audit log)")
      .action(async (id: string, flags: { comment?: string }, command: Command) => {
        const options = globals(command);
        const client = clientFrom(options);
        const execution =
          decision === "approve"
            ? await client.workflows.approve(id, flags.comment)
            : await client.workflows.deny(id, flags.comment);
        createOutput(Boolean(options.json)).result(
          execution,
          () =>
            `${decision === "approve" ? "Approved" : "Denied"}; execution ${execution.id} is ${execution.status}`,
        );
      });
  }

  workflows
    .command("template <name>")
    .description("Print a ready-made workflow (orchestra), or --create it")
    .option("--create", "create it (and, without --reflectors, the agents it uses)")
    .option("--name <name>", "the workflow's name", "orchestra")
    .option("--reflectors <ids>", "comma-separated agents that reflect in parallel (default: three voices)")
    .option("--synthesiser <id>", "the agent that merges their answers")
    .option("--model <model>", "with --create: the model of the agents it creates")
    .addHelpText(
      "after",
      `
orchestra: several agents with different system prompts answer the same question in parallel, a
synthesiser merges their answers, and the result reports their disagreement index: 1 - the mean
pairwise cosine similarity of the answers' embeddings (0 = they say the same, 1 = nothing shared).

Examples:
  symbiont workflows template orchestra > orchestra.json
  symbiont workflows template orchestra --create --model llama3.2
  symbiont workflows template orchestra --create --reflectors analyst,critic --synthesiser editor
  symbiont workflows run orchestra -p question="Should we open-source the SDK?"`,
    )
    .action(
      async (
        name: string,
        flags: { create?: boolean; name: string; reflectors?: string; synthesiser?: string; model?: string },
        command: Command,
      ) => {
        if (name !== "orchestra")
          throw new CliError(`No template "${name}"; the templates are: orchestra`, ExitCode.usage);
        const reflectors = flags.reflectors
          ?.split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        if (reflectors && reflectors.length < 2)
          throw new CliError("--reflectors needs at least two agents, comma-separated", ExitCode.usage);
        const definition = orchestraWorkflow({
          name: flags.name,
          ...(reflectors ? { reflectors } : {}),
          ...(flags.synthesiser ? { synthesiser: flags.synthesiser } : {}),
        });
        const options = globals(command);
        const out = createOutput(Boolean(options.json));
        if (!flags.create) {
          process.stdout.write(`${JSON.stringify(definition, null, 2)}\n`);
          return;
        }
        const client = clientFrom(options);
        if (!reflectors) await ensureVoices(client, flags.model, (line) => out.info(line));
        const created = await client.workflows.create(definition);
        out.result(
          created,
          () =>
            `Created ${created.name} v${created.version} (${created.id})\nRun it: symbiont workflows run ${created.name} -p question="..."`,
        );
      },
    );
}
