import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const MODEL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TOOL_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const GATE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1];

/**
 * Runs by outcome, model tokens and latency, tool calls and gate decisions. Labels are bounded:
 * provider and model come from agent definitions, tool sources from the catalog ("builtin",
 * "mcp:<server>"), never from what a model or caller sends.
 */
export class RunMetrics {
  readonly inProgress: Gauge;
  private readonly runsFinished: Counter<"status">;
  private readonly modelCalls: Histogram<"provider" | "model" | "outcome">;
  private readonly tokens: Counter<"provider" | "model" | "direction">;
  private readonly toolCalls: Histogram<"source" | "outcome">;
  private readonly gate: Histogram<"decision">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.inProgress = new Gauge({
      name: "symbiont_runs_in_progress",
      help: "Runs this node is driving now (waiting on a model or a tool)",
      registers,
    });
    this.runsFinished = new Counter({
      name: "symbiont_runs_finished_total",
      help: "Runs ended on this node, by final status",
      labelNames: ["status"],
      registers,
    });
    this.modelCalls = new Histogram({
      name: "symbiont_model_call_duration_seconds",
      help: "Model calls made by runs, by provider, model and outcome",
      labelNames: ["provider", "model", "outcome"],
      buckets: MODEL_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: "symbiont_model_tokens_total",
      help: "Tokens used by runs' model calls, by provider, model and direction (input, output)",
      labelNames: ["provider", "model", "direction"],
      registers,
    });
    this.toolCalls = new Histogram({
      name: "symbiont_tool_call_duration_seconds",
      help: "Tool calls executed by runs, by source (builtin, mcp:<server>) and outcome",
      labelNames: ["source", "outcome"],
      buckets: TOOL_BUCKETS,
      registers,
    });
    this.gate = new Histogram({
      name: "symbiont_gate_decision_duration_seconds",
      help: "Policy gate decisions before tool calls, by decision (allow, deny, require_approval)",
      labelNames: ["decision"],
      buckets: GATE_BUCKETS,
      registers,
    });
  }

  finished(status: string): void {
    this.runsFinished.inc({ status });
  }

  modelCall(provider: string, model: string, outcome: "ok" | "error", seconds: number): void {
    this.modelCalls.observe({ provider, model, outcome }, seconds);
  }

  modelTokens(provider: string, model: string, input: number, output: number): void {
    this.tokens.inc({ provider, model, direction: "input" }, input);
    this.tokens.inc({ provider, model, direction: "output" }, output);
  }

  toolCall(source: string, outcome: "ok" | "error", seconds: number): void {
    this.toolCalls.observe({ source, outcome }, seconds);
  }

  gateDecision(decision: string, seconds: number): void {
    this.gate.observe({ decision }, seconds);
  }
}
