import type { AgentDecl, BlockDecl, FunctionDecl, Item, TypeDecl } from "./ast.js";
import { BodyReader } from "./body-reader.js";
import { Checker, unknownKeyHint } from "./checker.js";
import { compileAgent } from "./compile-agent.js";
import { compileChannel, compileMemory, compileSchedule, compileWebhook } from "./compile-blocks.js";
import { compilePolicies } from "./compile-policy.js";
import type { CompiledDefinition, JsonValue } from "./compiled.js";
import { type Diagnostic, isError } from "./diagnostics.js";
import { parse } from "./parser.js";
import { printType } from "./print-expression.js";
import { referencedNames } from "./references.js";
import { SourceText } from "./source.js";
import { staticValue } from "./values.js";

export const METADATA_KEYS = [
  "name",
  "version",
  "author",
  "description",
  "license",
  "tags",
  "min_runtime_version",
  "dependencies",
  "homepage",
  "repository",
];

export interface CompileResult {
  /** null when there are errors. */
  definition: CompiledDefinition | null;
  /** Errors and warnings, in source order. */
  diagnostics: Diagnostic[];
  source: SourceText;
}

function reportDuplicates<T extends { name: string | null; nameSpan: { start: number; end: number } | null }>(
  items: T[],
  what: string,
  checker: Checker,
): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (item.name === null) continue;
    if (seen.has(item.name) && item.nameSpan)
      checker.error("E2001", `${what} '${item.name}' is defined twice`, item.nameSpan);
    seen.add(item.name);
  }
}

/** Compiles a .symbi source into an agent definition: parse, then check meaning, then build plain data. */
export function compile(text: string, name = "<input>"): CompileResult {
  const source = new SourceText(text, name);
  const parsed = parse(text);
  if (parsed.diagnostics.some(isError)) return { definition: null, diagnostics: parsed.diagnostics, source };
  const checker = new Checker();
  const items = parsed.program.items;
  const of = <K extends Item["kind"]>(kind: K) =>
    items.filter((i): i is Extract<Item, { kind: K }> => i.kind === kind);
  const blocks = (keyword: BlockDecl["keyword"]) => of("BlockDecl").filter((b) => b.keyword === keyword);

  const agents = of("Agent") as AgentDecl[];
  const functions = of("Function") as FunctionDecl[];
  const types = of("TypeDecl") as TypeDecl[];
  reportDuplicates(agents, "agent", checker);
  reportDuplicates(functions, "function", checker);
  reportDuplicates(types, "type", checker);
  for (const keyword of ["schedule", "webhook", "memory", "channel"] as const)
    reportDuplicates(blocks(keyword), keyword, checker);

  const metadataBlocks = blocks("metadata");
  for (const extra of metadataBlocks.slice(1)) {
    checker.error("E2001", "a second metadata block; merge it into the first", {
      start: extra.span.start,
      end: extra.span.start + 8,
    });
  }
  const metadata: Record<string, JsonValue> = {};
  const metadataBlock = metadataBlocks[0];
  if (metadataBlock) {
    const reader = new BodyReader(metadataBlock.body, checker, text, "metadata");
    for (const [key, item] of reader.entries) {
      if (!METADATA_KEYS.includes(key)) {
        checker.warn(
          "W0001",
          `unknown metadata key '${key}'`,
          item.keySpan,
          unknownKeyHint(key, METADATA_KEYS),
        );
      }
      if (item.kind === "Entry") metadata[key] = staticValue(item.value, text);
    }
  }

  const compiledAgents = agents.map((agent) => compileAgent(agent, checker, source));
  // One result per block (undefined where it had errors), so results and blocks stay aligned.
  const scheduleBlocks = blocks("schedule");
  const webhookBlocks = blocks("webhook");
  const channelBlocks = blocks("channel");
  const scheduleResults = scheduleBlocks.map((b) => compileSchedule(b, checker, source));
  const webhookResults = webhookBlocks.map((b) => compileWebhook(b, checker, source));
  const memories = blocks("memory").flatMap((b) => compileMemory(b, checker, source) ?? []);
  const channels = channelBlocks.map((b) => compileChannel(b, checker, source));

  const paths = new Set<string>();
  webhookResults.forEach((webhook, i) => {
    if (!webhook) return;
    const block = webhookBlocks[i]!;
    if (paths.has(webhook.path))
      checker.error("E2001", `two webhooks listen on ${webhook.path}`, block.nameSpan ?? block.span);
    paths.add(webhook.path);
  });
  // Triggers may name agents registered elsewhere, so an unknown one is a warning, not an error.
  const agentNames = new Set(agents.map((a) => a.name));
  const refer = (agent: string | null | undefined, owner: BlockDecl) => {
    if (agent && !agentNames.has(agent)) {
      checker.warn(
        "W0004",
        `${owner.keyword}${owner.name ? ` ${owner.name}` : ""} names agent '${agent}', which this file does not define`,
        owner.nameSpan ?? owner.span,
        "it must exist on the server when this runs",
      );
    }
  };
  scheduleBlocks.forEach((b, i) => {
    refer(scheduleResults[i]?.agent, b);
  });
  webhookBlocks.forEach((b, i) => {
    refer(webhookResults[i]?.agent, b);
  });
  channelBlocks.forEach((b, i) => {
    refer(channels[i]?.default_agent, b);
  });
  const schedules = scheduleResults.flatMap((r) => r ?? []);
  const webhooks = webhookResults.flatMap((r) => r ?? []);

  const used = referencedNames({
    ...parsed.program,
    items: items.filter((i) => i.kind !== "TypeDecl" && i.kind !== "Function"),
  });
  // Definitions may use each other; a use counts from another definition, never from itself.
  for (const definition of [...functions, ...types]) {
    for (const name of referencedNames({ ...parsed.program, items: [definition] })) {
      if (name !== definition.name) used.add(name);
    }
  }
  for (const definition of [...functions, ...types]) {
    if (!used.has(definition.name)) {
      checker.warn(
        "W0002",
        `${definition.kind === "Function" ? "function" : "type"} '${definition.name}' is never used`,
        definition.nameSpan,
        "remove it, or use it",
      );
    }
  }
  const policies = compilePolicies(of("Policy"), checker, source);

  const diagnostics = [...parsed.diagnostics, ...checker.diagnostics].sort(
    (a, b) => a.span.start - b.span.start,
  );
  if (diagnostics.some(isError)) return { definition: null, diagnostics, source };
  const definition: CompiledDefinition = {
    metadata,
    agents: compiledAgents,
    policies,
    schedules,
    webhooks,
    memories,
    channels,
    types: types.map((t) => ({
      name: t.name,
      definition:
        t.value.kind === "TypeRef"
          ? printType(t.value)
          : `{ ${t.value.fields.map((f) => `${f.name}: ${printType(f.type)}`).join(", ")} }`,
    })),
    functions: functions.map((f) => ({
      name: f.name,
      signature: `(${f.params.map((p) => `${p.name}${p.type ? `: ${printType(p.type)}` : ""}`).join(", ")})${f.returns ? ` -> ${printType(f.returns)}` : ""}`,
    })),
  };
  return { definition, diagnostics, source };
}
