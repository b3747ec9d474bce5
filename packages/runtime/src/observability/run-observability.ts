import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { RunStatus } from "@symbiont/protocol";
import type { PrometheusMetrics } from "./prometheus.js";
import type { Tracing } from "./tracing.js";

/** What identifies a run on its spans: ids only, never its input, output or arguments. */
export interface ObservedRun {
  tenantId: string;
  agentId: string;
  runId: string;
  /** The W3C traceparent of the request that started the run, when it was traced. */
  traceparent: string | undefined;
  resumed: boolean;
}

export interface ModelCallOutcome {
  inputTokens: number;
  outputTokens: number;
  finishReason: string;
}

/** One model or tool call in progress; the first `end` records it, later ones are ignored. */
export interface ObservedCall<T> {
  end(outcome: T | Error): void;
}

function once<T>(record: (outcome: T | Error) => void): ObservedCall<T> {
  let ended = false;
  return {
    end(outcome) {
      if (ended) return;
      ended = true;
      record(outcome);
    },
  };
}

/** One run's part driven by this process: its span, and the counters its calls move. */
export interface RunObservation {
  modelCall(provider: string, model: string): ObservedCall<ModelCallOutcome>;
  toolCall(tool: string, source: string): ObservedCall<{ isError: boolean }>;
  gateDecision(decision: string, seconds: number): void;
  end(status: RunStatus | "paused"): void;
}

const ignored: ObservedCall<unknown> = { end: () => {} };
const unobserved: RunObservation = {
  modelCall: () => ignored,
  toolCall: () => ignored,
  gateDecision: () => {},
  end: () => {},
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The parent a run's span continues: the traced request that started it, else a new trace. */
function parentContext(traceparent: string | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  });
}

function endSpan(span: Span | undefined, error?: Error): void {
  if (!span) return;
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
  span.end();
}

/**
 * Metrics and spans for runs, their model calls, tool calls and gate decisions. Either side may be
 * off; with both off a run pays for nothing. Spans carry ids, names, token counts and outcomes —
 * never prompts, answers, tool arguments or results, where user data and secrets travel.
 */
export class RunObservability {
  constructor(
    private readonly metrics: PrometheusMetrics | undefined,
    private readonly tracing: Tracing | undefined,
  ) {}

  get enabled(): boolean {
    return this.metrics !== undefined || this.tracing !== undefined;
  }

  startRun(run: ObservedRun): RunObservation {
    if (!this.enabled) return unobserved;
    const { metrics, tracing } = this;
    const runSpan = tracing?.tracer.startSpan(
      "run",
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "symbiont.tenant_id": run.tenantId,
          "symbiont.agent_id": run.agentId,
          "symbiont.run_id": run.runId,
          "symbiont.run.resumed": run.resumed,
        },
      },
      parentContext(run.traceparent),
    );
    const within = runSpan ? trace.setSpan(ROOT_CONTEXT, runSpan) : ROOT_CONTEXT;
    metrics?.runs.inProgress.inc();
    let ended = false;
    return {
      modelCall(provider, model) {
        const started = performance.now();
        const span = tracing?.tracer.startSpan(
          `model ${provider}/${model}`,
          {
            kind: SpanKind.CLIENT,
            attributes: { "gen_ai.system": provider, "gen_ai.request.model": model },
          },
          within,
        );
        return once((outcome) => {
          const seconds = (performance.now() - started) / 1000;
          const failed = outcome instanceof Error;
          metrics?.runs.modelCall(provider, model, failed ? "error" : "ok", seconds);
          if (!failed) {
            metrics?.runs.modelTokens(provider, model, outcome.inputTokens, outcome.outputTokens);
            span?.setAttributes({
              "gen_ai.usage.input_tokens": outcome.inputTokens,
              "gen_ai.usage.output_tokens": outcome.outputTokens,
              "gen_ai.response.finish_reasons": [outcome.finishReason],
            });
          }
          endSpan(span, failed ? outcome : undefined);
        });
      },
      toolCall(tool, source) {
        const started = performance.now();
        const span = tracing?.tracer.startSpan(
          `tool ${tool}`,
          { kind: SpanKind.INTERNAL, attributes: { "symbiont.tool": tool, "symbiont.tool.source": source } },
          within,
        );
        return once((outcome) => {
          const failed = outcome instanceof Error || outcome.isError;
          metrics?.runs.toolCall(source, failed ? "error" : "ok", (performance.now() - started) / 1000);
          span?.setAttribute("symbiont.tool.outcome", failed ? "error" : "ok");
          endSpan(span, outcome instanceof Error ? outcome : undefined);
        });
      },
      gateDecision(decision, seconds) {
        metrics?.runs.gateDecision(decision, seconds);
        runSpan?.addEvent("gate", { "symbiont.gate.decision": decision });
      },
      end(status) {
        if (ended) return;
        ended = true;
        metrics?.runs.inProgress.dec();
        if (status !== "paused") metrics?.runs.finished(status);
        runSpan?.setAttribute("symbiont.run.status", status);
        if (status === "failed" || status === "timed_out")
          runSpan?.setStatus({ code: SpanStatusCode.ERROR, message: status });
        runSpan?.end();
      },
    };
  }
}
