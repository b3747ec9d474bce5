import type { FieldIssue, WorkflowSpec, WorkflowStep } from "@symbiont/protocol";
import { parseExpression, pathsOf, templatePaths } from "./template.js";

/** Which steps each step waits for, and which branch arm (if any) each step belongs to. */
export interface WorkflowGraph {
  dependencies: Map<string, Set<string>>;
  arms: Map<string, { branch: string; arm: "when_true" | "when_false" }>;
}

type Read = { root: string; segments: (string | number)[] };

/** The templated fields of a step, with where they sit (for error paths) and whether they are bare expressions. */
function templatedFields(step: WorkflowStep): { field: string; value: unknown; bare: boolean }[] {
  switch (step.type) {
    case "agent":
      return [{ field: "input", value: step.input, bare: false }];
    case "tool":
      return [{ field: "arguments", value: step.arguments, bare: false }];
    case "branch":
      return [{ field: "condition", value: step.condition, bare: true }];
    case "map":
      return [
        { field: "over", value: step.over, bare: true },
        step.call.type === "agent"
          ? { field: "call.input", value: step.call.input, bare: false }
          : { field: "call.arguments", value: step.call.arguments, bare: false },
      ];
    case "approval":
      return [{ field: "message", value: step.message, bare: false }];
    case "disagreement":
      return [{ field: "texts", value: step.texts, bare: typeof step.texts === "string" }];
  }
}

function readsOf(value: unknown, bare: boolean): Read[] {
  if (bare && typeof value === "string")
    return pathsOf(parseExpression(value.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1")));
  return templatePaths(value);
}

/**
 * Checks a definition: unique step ids, references to steps and parameters that exist, templates
 * that parse, and no cycle. Each issue names the field path (`body.steps.2.input`).
 */
export function checkWorkflow(
  spec: WorkflowSpec,
  location = "body",
): { issues: FieldIssue[]; graph: WorkflowGraph } {
  const issues: FieldIssue[] = [];
  const ids = new Map<string, number>();
  spec.steps.forEach((step, i) => {
    if (ids.has(step.id))
      issues.push({ field: `${location}.steps.${i}.id`, message: `repeats step id "${step.id}"` });
    else ids.set(step.id, i);
  });
  const dependencies = new Map<string, Set<string>>();
  const arms = new Map<string, { branch: string; arm: "when_true" | "when_false" }>();
  const known = (id: string, field: string) => {
    if (ids.has(id)) return true;
    issues.push({ field, message: `names no step of this workflow ("${id}")` });
    return false;
  };
  spec.steps.forEach((step, i) => {
    const at = `${location}.steps.${i}`;
    const deps = new Set<string>();
    dependencies.set(step.id, deps);
    (step.depends_on ?? []).forEach((id, j) => {
      if (known(id, `${at}.depends_on.${j}`)) deps.add(id);
    });
    for (const { field, value, bare } of templatedFields(step)) {
      let reads: Read[];
      try {
        reads = readsOf(value, bare);
      } catch (error) {
        issues.push({ field: `${at}.${field}`, message: (error as Error).message });
        continue;
      }
      for (const read of reads) {
        if (read.root === "steps") {
          const id = String(read.segments[0] ?? "");
          if (known(id, `${at}.${field}`)) deps.add(id);
          if (read.segments.length > 1 && read.segments[1] !== "output" && read.segments[1] !== "status")
            issues.push({ field: `${at}.${field}`, message: `steps.${id} has only "output" and "status"` });
        } else if (read.root === "params") {
          const name = String(read.segments[0] ?? "");
          if (!Object.hasOwn(spec.parameters, name))
            issues.push({ field: `${at}.${field}`, message: `params.${name} is not a declared parameter` });
        } else if (!(step.type === "map" && field.startsWith("call."))) {
          issues.push({ field: `${at}.${field}`, message: `${read.root} exists only in a map step's call` });
        }
      }
    }
    if (step.type === "branch") {
      for (const arm of ["when_true", "when_false"] as const) {
        step[arm].forEach((id, j) => {
          if (!known(id, `${at}.${arm}.${j}`)) return;
          if (id === step.id) {
            issues.push({ field: `${at}.${arm}.${j}`, message: "a branch cannot contain itself" });
            return;
          }
          if (arms.has(id))
            issues.push({
              field: `${at}.${arm}.${j}`,
              message: `step "${id}" is already in another branch arm`,
            });
          else arms.set(id, { branch: step.id, arm });
        });
      }
    }
  });
  for (const [id, owner] of arms) dependencies.get(id)?.add(owner.branch);
  if (spec.output !== undefined) {
    try {
      for (const read of templatePaths(spec.output)) {
        if (read.root === "steps") known(String(read.segments[0] ?? ""), `${location}.output`);
        else if (read.root === "params" && !Object.hasOwn(spec.parameters, String(read.segments[0])))
          issues.push({
            field: `${location}.output`,
            message: `params.${String(read.segments[0])} is not a declared parameter`,
          });
        else if (read.root !== "params" && read.root !== "steps")
          issues.push({
            field: `${location}.output`,
            message: `${read.root} exists only in a map step's call`,
          });
      }
    } catch (error) {
      issues.push({ field: `${location}.output`, message: (error as Error).message });
    }
  }
  const cycle = findCycle(dependencies);
  if (cycle) {
    const index = ids.get(cycle[0] as string) ?? 0;
    issues.push({
      field: `${location}.steps.${index}`,
      message: `steps form a cycle: ${cycle.join(" -> ")}`,
    });
  }
  return { issues, graph: { dependencies, arms } };
}

function findCycle(dependencies: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "visiting");
    path.push(id);
    for (const dep of dependencies.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of dependencies.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return undefined;
}

/** Agents a definition names, with where, so unknown ones are refused naming the field. */
export function agentsNamed(spec: WorkflowSpec, location = "body"): { agentId: string; field: string }[] {
  const named: { agentId: string; field: string }[] = [];
  spec.steps.forEach((step, i) => {
    if ((step.type === "agent" || step.type === "tool") && step.agent_id)
      named.push({ agentId: step.agent_id, field: `${location}.steps.${i}.agent_id` });
    if (step.type === "map" && step.call.agent_id)
      named.push({ agentId: step.call.agent_id, field: `${location}.steps.${i}.call.agent_id` });
  });
  return named;
}

/** Whether some step acts as an agent without naming one: the execution must then give `agent_id`. */
export function needsDefaultAgent(spec: WorkflowSpec): string | undefined {
  for (const step of spec.steps) {
    if ((step.type === "agent" || step.type === "tool") && !step.agent_id) return step.id;
    if (step.type === "map" && !step.call.agent_id) return step.id;
  }
  return undefined;
}
