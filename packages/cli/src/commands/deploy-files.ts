import { existsSync } from "node:fs";
import { type CompiledAgent, compile, isError, parse } from "@symbiont/dsl";
import type { SymbiontClient } from "@symbiont/sdk";
import { readSource, renderAll, summary, useColor } from "../dsl-files.js";
import { CliError, ExitCode } from "../exit-codes.js";

/** `symbiont deploy x` takes an agent id or a .symbi file; a path that exists or ends in .symbi is a file. */
export function isSymbiFile(target: string): boolean {
  return target.endsWith(".symbi") || target === "-" || (target.includes("/") && existsSync(target));
}

/** The limits of the agent's DSL `with` block, as deployment overrides. */
export function limitsOf(agent: CompiledAgent): Record<string, number> {
  const { max_memory_mb: memory, max_cpu_cores: cpu, timeout_ms: timeout } = agent.limits;
  return {
    ...(memory === null ? {} : { max_memory_mb: memory }),
    ...(cpu === null ? {} : { max_cpu_cores: cpu }),
    ...(timeout === null ? {} : { timeout_seconds: Math.max(1, Math.ceil(timeout / 1000)) }),
  };
}

/**
 * Compiles a file here (for its limits, which the runtime does not store), registers its agent on
 * the runtime, and answers the agent id and the file's limits. With `register` false it only checks.
 */
export async function registerFromFile(
  client: SymbiontClient,
  file: string,
  name: string | undefined,
  register: boolean,
): Promise<{ agentId: string; limits: Record<string, number> }> {
  const text = readSource(file);
  const shown = file === "-" ? "<stdin>" : file;
  const result = compile(text, shown);
  if (!result.definition || result.diagnostics.some(isError)) {
    process.stderr.write(`${renderAll(result.source, result.diagnostics, useColor(process.stderr))}\n\n`);
    throw new CliError(`${shown}: not deployed (${summary(result.diagnostics)})`, ExitCode.failure);
  }
  const names = parse(text).program.items.flatMap((item) => (item.kind === "Agent" ? [item.name] : []));
  const agentName = name ?? (names.length === 1 ? names[0] : undefined);
  if (!agentName)
    throw new CliError(
      names.length === 0
        ? `${shown} defines no agent to deploy`
        : `${shown} defines ${names.length} agents (${names.join(", ")}); choose one with --name`,
      ExitCode.usage,
    );
  const agent = result.definition.agents.find((a) => a.name === agentName) ?? result.definition.agents[0];
  if (!agent) throw new CliError(`${shown} defines no agent named ${agentName}`, ExitCode.usage);
  if (register) {
    const registered = await client.dsl.compile({
      dsl_content: text,
      agent_name: agentName,
      validate_only: false,
    });
    if (!registered.success)
      throw new CliError(
        `${shown}: the runtime refused it: ${registered.errors.join("; ")}`,
        ExitCode.failure,
      );
  }
  return { agentId: agentName, limits: limitsOf(agent) };
}
