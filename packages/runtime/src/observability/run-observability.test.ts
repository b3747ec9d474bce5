import type { AgentStatusResponse, Run } from "@symbiont/protocol";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { type OtlpReceiver, startOtlpReceiver } from "../../../../test/support/otlp-receiver.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { conversation } from "../../../../test/support/scripted-agents.js";

const PERMIT_TIME = 'permit(principal, action == Action::"call_tool", resource == Tool::"current_time");';

/** Counts of a histogram series, read straight from the text (the parser drops histogram labels). */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_count{`)) continue;
    if (wanted.every((pair) => line.includes(pair))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

function counter(text: string, name: string, labels: Record<string, string>): number {
  const family = parsePrometheusTextFormat(text).find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

const attribute = (span: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

describe("metrics and spans of runs, model calls, tool calls, gate decisions and memory", () => {
  let model: ModelServer;
  let receiver: OtlpReceiver;
  let database: FreshDatabase;
  let server: TestRuntime;
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const callerSpan = "b7ad6b7169203331";

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    receiver = await startOtlpReceiver();
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url, otlpEndpoint: receiver.url });
    const agent = sampleAgent("observed", { tools: ["current_time"] });
    expect((await server.call("POST", "/agents", { body: agent })).status).toBe(201);
    const policy = await server.call("POST", "/policies", { body: { name: "clock", policy: PERMIT_TIME } });
    expect(policy.status, policy.text).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
    await receiver?.close();
  });

  it("counts runs by status, tokens, tool calls, gate decisions and memory operations", async () => {
    const before = await (await fetch(`${server.runtime.url}/metrics`)).text();
    const allowed = await server.call("POST", "/agents/observed/execute", {
      body: { input: "time: in Paris, please" },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect((allowed.body as Run).status, allowed.text).toBe("succeeded");
    // No tool called shell is offered to this agent: the call is refused before the gate, never run.
    const refused = await server.call("POST", "/agents/observed/execute", { body: { input: "shell: ls" } });
    expect((refused.body as Run).status, refused.text).toBe("succeeded");
    const remembered = await server.call("POST", "/memory", {
      body: {
        agent_id: "observed",
        content: { text: "The deploy window is Tuesday" },
        memory_type: "fact",
        memory_level: "long_term",
      },
    });
    expect(remembered.status, remembered.text).toBeLessThan(300);
    const searched = await server.call("POST", "/memory/search", {
      body: { agent_id: "observed", query: "deploy window", limit: 3 },
    });
    expect(searched.status, searched.text).toBe(200);

    const after = await (await fetch(`${server.runtime.url}/metrics`)).text();
    const moved = (read: (text: string) => number) => read(after) - read(before);
    expect(moved((t) => counter(t, "symbiont_runs_finished_total", { status: "succeeded" }))).toBe(2);
    expect(counter(after, "symbiont_runs_in_progress", {})).toBe(0);
    const tokens = (direction: string) =>
      moved((t) => counter(t, "symbiont_model_tokens_total", { provider: "ollama", direction }));
    expect(tokens("input")).toBeGreaterThan(0);
    expect(tokens("output")).toBeGreaterThan(0);
    // Two model calls per run: one asks for the tool, the next answers with its result.
    expect(
      moved((t) =>
        histogramCount(t, "symbiont_model_call_duration_seconds", { provider: "ollama", outcome: "ok" }),
      ),
    ).toBe(4);
    expect(
      moved((t) =>
        histogramCount(t, "symbiont_tool_call_duration_seconds", { source: "builtin", outcome: "ok" }),
      ),
    ).toBe(1);
    expect(
      moved((t) => histogramCount(t, "symbiont_gate_decision_duration_seconds", { decision: "allow" })),
    ).toBe(1);
    for (const operation of ["add", "search"])
      expect(
        moved((t) =>
          histogramCount(t, "symbiont_retrieval_operation_duration_seconds", {
            store: "memory",
            operation,
            outcome: "ok",
          }),
        ),
      ).toBeGreaterThanOrEqual(1);
  });

  it("reports a run in progress as an active task of its agent until it ends", async () => {
    const started = await server.call("POST", "/agents/observed/execute", {
      body: { input: "slow: take your time", wait: false },
    });
    const run = started.body as Run;
    const status = async () =>
      ((await server.call("GET", "/agents/observed")).body as AgentStatusResponse).resource_usage
        .active_tasks;
    expect(await status()).toBe(1);
    expect((await server.call("POST", `/runs/${run.id}/cancel`)).status).toBe(200);
    expect(await status()).toBe(0);
  });

  it("exports a run span under the request that started it, with model and tool spans inside", async () => {
    await server.close();
    const runSpan = receiver.spans.find(
      (s) => s.name === "run" && s.traceId === traceId && attribute(s, "symbiont.run.status") === "succeeded",
    );
    expect(runSpan, JSON.stringify(receiver.spans.map((s) => s.name))).toBeDefined();
    const execute = receiver.spans.find(
      (s) => s.name === "POST /api/v1/agents/:agent_id/execute" && s.traceId === traceId,
    );
    expect(execute?.parentSpanId).toBe(callerSpan);
    expect(runSpan?.parentSpanId).toBe(execute?.spanId);
    const inside = receiver.spans.filter((s) => s.parentSpanId === runSpan?.spanId);
    const models = inside.filter((s) => s.name === "model ollama/llama3.2");
    expect(models).toHaveLength(2);
    expect(Number(attribute(models[0]!, "gen_ai.usage.input_tokens"))).toBeGreaterThan(0);
    const tool = inside.find((s) => s.name === "tool current_time");
    expect(attribute(tool!, "symbiont.tool.outcome")).toBe("ok");
    // Ids and counts only: no prompt, tool argument or answer reaches the collector.
    const exported = receiver.bodies.join("\n");
    expect(exported).not.toContain("in Paris, please");
    expect(exported).not.toContain("Europe/Paris");
    expect(exported).not.toContain("It is ");
  });
});
