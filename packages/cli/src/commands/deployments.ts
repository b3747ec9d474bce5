import { writeFileSync } from "node:fs";
import type { Deployment, DeploymentLogLine, RegistryDocument } from "@symbiont/sdk";
import type { Command } from "commander";
import { stringify } from "yaml";
import { clientFrom, type GlobalOptions } from "../client.js";
import { readSource } from "../dsl-files.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createOutput, table } from "../output.js";
import { isSymbiFile, registerFromFile } from "./deploy-files.js";

const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;

function number(flag: string, value: string, integer: boolean): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isInteger(parsed)))
    throw new CliError(
      `${flag} must be a positive ${integer ? "whole " : ""}number, not "${value}"`,
      ExitCode.usage,
    );
  return parsed;
}

function envPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0)
      throw new CliError(`--env-var takes NAME=value (or NAME=secret://name), not "${pair}"`, ExitCode.usage);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const deploymentTable = (deployments: Deployment[]) =>
  table(
    ["ID", "AGENT", "ENV", "STATUS", "REPLICAS", "RESTARTS", "DEPLOYED"],
    deployments.map((d) => [
      d.deployment_id,
      d.agent_id,
      d.environment,
      d.status,
      `${d.instances.filter((i) => i.state === "running").length}/${d.replicas}`,
      String(d.restarts),
      d.deployed_at,
    ]),
    40,
  );

function describeDeployment(d: Deployment): string {
  const lines = [
    `${d.deployment_id}  ${d.agent_id}  ${d.status}`,
    `  environment  ${d.environment} (${d.executor}), ${d.replicas} replica(s), ${d.restarts} restart(s)`,
  ];
  const limits = Object.entries(d.limits).filter(([, v]) => v !== null);
  if (limits.length) lines.push(`  limits       ${limits.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  if (d.endpoint_url) lines.push(`  endpoint     POST ${d.endpoint_url}  {"input": "..."}`);
  for (const i of d.instances)
    lines.push(
      `  replica ${i.index}    ${i.state}${i.pid ? ` pid ${i.pid}` : ""}, ${Math.round(i.memory_bytes / 1024 ** 2)} MB, ${i.cpu_percent.toFixed(1)}% CPU, ${i.restarts} restart(s)`,
    );
  if (d.last_error) lines.push(`  last error   ${d.last_error}`);
  if (d.last_log_lines.length) lines.push("  last output:", ...d.last_log_lines.map((l) => `    ${l}`));
  return lines.join("\n");
}

const logLine = (line: DeploymentLogLine) => `${line.at} [${line.replica}:${line.stream}] ${line.text}`;

interface DeployFlags {
  name?: string;
  environment: string;
  replicas?: string;
  maxMemoryMb?: string;
  maxCpuCores?: string;
  timeout?: string;
  envVar: string[];
  image?: string;
  dryRun?: boolean;
  output?: string;
  wait?: boolean;
}

async function deploy(target: string, flags: DeployFlags, command: Command, fileOnly = false): Promise<void> {
  const options = globals(command);
  const out = createOutput(Boolean(options.json));
  const client = clientFrom(options);
  const format = flags.output ?? (flags.dryRun ? "yaml" : undefined);
  if (format !== undefined && format !== "yaml" && format !== "json")
    throw new CliError(`-o takes yaml or json, not "${format}"`, ExitCode.usage);
  const fromFile = fileOnly || isSymbiFile(target);
  const { agentId, limits } = fromFile
    ? await registerFromFile(client, target, flags.name, !flags.dryRun)
    : { agentId: target, limits: {} };
  const overrides = {
    ...limits,
    ...(flags.replicas ? { replicas: number("--replicas", flags.replicas, true) } : {}),
    ...(flags.maxMemoryMb ? { max_memory_mb: number("--max-memory-mb", flags.maxMemoryMb, false) } : {}),
    ...(flags.maxCpuCores ? { max_cpu_cores: number("--max-cpu-cores", flags.maxCpuCores, false) } : {}),
    ...(flags.timeout ? { timeout_seconds: number("--timeout", flags.timeout, true) } : {}),
    ...(flags.envVar.length ? { env: envPairs(flags.envVar) } : {}),
    ...(flags.image ? { image: flags.image } : {}),
  };
  const request = { agent_id: agentId, environment: flags.environment, config_overrides: overrides };
  if (flags.dryRun) {
    const plan = await client.deployments.plan(request);
    if (format === "json" || options.json) out.result(plan.manifests, () => "");
    else process.stdout.write(plan.manifests.map((m) => stringify(m)).join("---\n"));
    return;
  }
  let deployment = await client.deployments.deploy(request);
  if (flags.wait !== false) {
    out.info(`Deploying ${agentId} (${deployment.deployment_id})…`);
    deployment = await client.deployments.waitFor(deployment.deployment_id);
  }
  if (format === "yaml") process.stdout.write(stringify(deployment));
  else
    out.result(deployment, () =>
      [
        describeDeployment(deployment),
        "",
        `Logs: symbiont deployments logs ${deployment.deployment_id} -f`,
        `Stop: symbiont deployments stop ${deployment.deployment_id}`,
      ].join("\n"),
    );
}

function deployOptions(command: Command): Command {
  return command
    .option("--name <agent>", "with a file: which of its agents to deploy (default: its only one)")
    .option("-e, --environment <name>", "environment label (lower-case, like production)", "development")
    .option("--replicas <n>", "how many replicas (processes or pods) to run")
    .option("--max-memory-mb <mb>", "kill a replica that uses more memory (default: the DSL's max_memory_mb)")
    .option(
      "--max-cpu-cores <cores>",
      "kill a replica that keeps using more CPU (default: the DSL's max_cpu_cores)",
    )
    .option(
      "--timeout <seconds>",
      "wall-time limit of each run a replica starts (default: the DSL's timeout)",
    )
    .option(
      "--env-var <NAME=value>",
      "an environment variable of the replicas; value may be secret://name",
      collect,
      [],
    )
    .option("--image <image>", "Kubernetes: the replica container image")
    .option(
      "--dry-run",
      "print the Kubernetes manifests instead of deploying (nothing is registered or applied)",
    )
    .option("-o, --output <format>", "yaml or json (--dry-run prints yaml by default)")
    .option("--no-wait", "answer at once with status deploying instead of waiting for running");
}

export function registerDeploymentCommands(program: Command): void {
  deployOptions(
    program
      .command("deploy <agent-or-file>")
      .description("Run an agent (an id, or a .symbi file to register first) as a long-lived service"),
  )
    .addHelpText(
      "after",
      `
A deployment runs replicas of the agent. With the local executor (the default) each replica is a
supervised process: restarted with backoff when it crashes, killed (and restarted) when it passes
its memory or CPU limit, marked failed after a crash loop. Each replica serves
POST <endpoint_url> {"input": "..."} with your API key as a run of the agent. With
SYMBIONT_EXECUTOR=kubernetes the runtime applies a Deployment, a ConfigMap and a Secret instead.

Examples:
  symbiont deploy helper                              # an agent already registered
  symbiont deploy agents/triage.symbi --replicas 2    # register the file's agent, use its 'with' limits
  symbiont deploy helper --max-memory-mb 256 --env-var GITHUB_TOKEN=secret://github-token
  symbiont deploy helper --dry-run -o yaml            # the Kubernetes manifests, nothing applied`,
    )
    .action((target: string, flags: DeployFlags, command: Command) => deploy(target, flags, command));

  const dsl = program.commands.find((c) => c.name() === "dsl");
  if (dsl)
    deployOptions(
      dsl.command("deploy <file>").description("Compile and register a .symbi file's agent, then deploy it"),
    ).action((file: string, flags: DeployFlags, command: Command) => deploy(file, flags, command, true));

  const deployments = program
    .command("deployments")
    .description("Look at, follow and stop deployments")
    .addHelpText(
      "after",
      `
Examples:
  symbiont deployments list --agent helper
  symbiont deployments get <id>          # replicas: pid, memory, CPU, restarts, heartbeats
  symbiont deployments logs <id> -f      # follow what the replicas print
  symbiont deployments stop <id>         # SIGTERM, a grace period, then SIGKILL of each process group`,
    );
  deployments
    .command("list")
    .description("Deployments, newest first")
    .option("--agent <id>", "only this agent's")
    .action(async (flags: { agent?: string }, command: Command) => {
      const options = globals(command);
      const list = await clientFrom(options).deployments.list(flags.agent);
      createOutput(Boolean(options.json)).result(list, () =>
        list.length ? deploymentTable(list) : "No deployments (start one with: symbiont deploy <agent>)",
      );
    });
  deployments
    .command("get <deployment-id>")
    .description("A deployment with its replicas")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const deployment = await clientFrom(options).deployments.get(id);
      createOutput(Boolean(options.json)).result(deployment, () => describeDeployment(deployment));
    });
  deployments
    .command("stop <deployment-id>")
    .description("Stop every replica; returns once none is left")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const stopped = await clientFrom(options).deployments.stop(id);
      createOutput(Boolean(options.json)).result(stopped, () => `Deployment ${id} ${stopped.status}`);
    });
  deployments
    .command("logs <deployment-id>")
    .description("What the replicas printed (the last 2000 lines are kept)")
    .option("-f, --follow", "keep printing new lines until the deployment stops (Ctrl-C to quit)")
    .option("--after <seq>", "only lines after this number", "0")
    .action(async (id: string, flags: { follow?: boolean; after: string }, command: Command) => {
      const options = globals(command);
      const client = clientFrom(options);
      const after = Number(flags.after);
      if (!Number.isInteger(after) || after < 0)
        throw new CliError(`--after must be a whole number, not "${flags.after}"`, ExitCode.usage);
      const print = (line: DeploymentLogLine) =>
        process.stdout.write(options.json ? `${JSON.stringify(line)}\n` : `${logLine(line)}\n`);
      if (flags.follow) {
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort());
        try {
          for await (const line of client.deployments.followLogs(id, { after, signal: controller.signal }))
            print(line);
        } catch (error) {
          if (!controller.signal.aborted) throw error;
        }
        return;
      }
      const page = await client.deployments.logs(id, { after, limit: 1000 });
      for (const line of page.lines) print(line);
      if (page.lines.length === 0 && !options.json)
        process.stderr.write(`No output (deployment ${page.status})\n`);
    });

  const registry = program
    .command("registry")
    .description("Your tenant's agents and deployments as a whole: counts, export, import")
    .addHelpText(
      "after",
      `
Examples:
  symbiont registry stats
  symbiont registry export -o backup.json     # agents and deployments, as JSON
  symbiont registry import backup.json        # on another runtime: recreate them, restart what ran`,
    );
  registry
    .command("stats")
    .description("Agents, deployments by status, running replicas, restarts")
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const stats = await clientFrom(options).registry.stats();
      createOutput(Boolean(options.json)).result(stats, () =>
        [
          `agents             ${stats.agents}`,
          `deployments        ${stats.deployments.total} (${stats.deployments.running} running, ${stats.deployments.deploying} deploying, ${stats.deployments.stopped} stopped, ${stats.deployments.failed} failed)`,
          `replicas running   ${stats.replicas_running}`,
          `restarts           ${stats.restarts_total}`,
          `executor           ${stats.executor}`,
        ].join("\n"),
      );
    });
  registry
    .command("export")
    .description("Print (or write with -o) the registry as one JSON document")
    .option("-o, --output <file>", "write to this file instead of standard output")
    .action(async (flags: { output?: string }, command: Command) => {
      const options = globals(command);
      const document = await clientFrom(options).registry.export();
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (!flags.output) {
        process.stdout.write(text);
        return;
      }
      writeFileSync(flags.output, text, { mode: 0o600 });
      createOutput(Boolean(options.json)).result(
        { file: flags.output, agents: document.agents.length, deployments: document.deployments.length },
        () =>
          `Wrote ${document.agents.length} agents and ${document.deployments.length} deployments to ${flags.output}`,
      );
    });
  registry
    .command("import <file>")
    .description("Create or update the agents of an export and start its running deployments")
    .action(async (file: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      let document: RegistryDocument;
      try {
        document = JSON.parse(readSource(file)) as RegistryDocument;
      } catch (error) {
        throw new CliError(`${file} is not JSON: ${(error as Error).message}`, ExitCode.usage);
      }
      const result = await clientFrom(options).registry.import(document);
      createOutput(Boolean(options.json)).result(
        result,
        () =>
          `Imported: ${result.agents_created} agents created, ${result.agents_updated} updated, ${result.deployments_started.length} deployments started`,
      );
    });
}
