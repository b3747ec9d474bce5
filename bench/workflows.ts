/**
 * Workflow step overhead: a workflow of three chained agent steps (each a 4-step run against the
 * zero-latency model) next to a baseline in the same runtime: the same three runs executed one after
 * another through `POST /agents/{id}/execute`. The difference is what the workflow layer adds per
 * step: persisting step states, waiting on the run's events, rendering templates, the result.
 */

import { post, startBenchAgentRuntime } from "./bench-agent-runtime.js";
import { log, round, summarize } from "./processes.js";

const STEPS = 3;

export async function runWorkflowsBenchmark(settings: { sequential: number }) {
  const { api, key, close } = await startBenchAgentRuntime();
  try {
    const created = await post(`${api}/workflow-definitions`, key, {
      name: "chain",
      steps: [
        { id: "one", type: "agent", agent_id: "bench", input: "what time is it?" },
        {
          id: "two",
          type: "agent",
          agent_id: "bench",
          input: "after {{ steps.one.output }}, what time is it?",
        },
        {
          id: "three",
          type: "agent",
          agent_id: "bench",
          input: "after {{ steps.two.output }}, what time is it?",
        },
      ],
    });
    if (created.status !== 201)
      throw new Error(`the benchmark workflow was refused: ${JSON.stringify(created.json)}`);
    const workflowOnce = async () => {
      const { status, json } = await post(`${api}/workflows`, key, {
        workflow_id: "chain",
        parameters: {},
        agent_id: null,
      });
      if (status !== 200 || (json as { status: string }).status !== "succeeded")
        throw new Error(
          `a benchmark workflow did not succeed: ${status} ${JSON.stringify(json).slice(0, 300)}`,
        );
    };
    const runsOnce = async () => {
      for (let i = 0; i < STEPS; i++) {
        const { status, json } = await post(`${api}/agents/bench/execute`, key, {
          input: "what time is it?",
        });
        if (status !== 200 || (json as { status: string }).status !== "succeeded")
          throw new Error(`a benchmark run did not succeed: ${status} ${JSON.stringify(json).slice(0, 300)}`);
      }
    };
    for (let i = 0; i < 10; i++) {
      await workflowOnce();
      await runsOnce();
    }
    const workflowLatency: number[] = [];
    const runsLatency: number[] = [];
    for (let i = 0; i < settings.sequential; i++) {
      let started = performance.now();
      await workflowOnce();
      workflowLatency.push(performance.now() - started);
      started = performance.now();
      await runsOnce();
      runsLatency.push(performance.now() - started);
    }
    log(`workflows: ${settings.sequential} executions of ${STEPS} agent steps, and as many run triples`);
    const workflow = summarize(workflowLatency);
    const baseline = summarize(runsLatency);
    return [
      {
        name: "workflow_step_overhead",
        unit: "ms",
        runtime: {
          measures: `POST /workflows (wait) of ${STEPS} chained agent steps, each a 4-step run; SQLite`,
          ...workflow,
        },
        baseline: {
          measures: `the same ${STEPS} runs through POST /agents/{id}/execute, one after another`,
          ...baseline,
        },
        overhead_per_step_ms: round((workflow.median - baseline.median) / STEPS, 2),
        overhead_per_execution_ms: round(workflow.median - baseline.median, 2),
      },
    ];
  } finally {
    await close();
  }
}
