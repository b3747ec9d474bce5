import { rmSync } from "node:fs";
import { join } from "node:path";
import type { WorkflowExecution, WorkflowExecutionResponse } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`workflows across a stop on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let second: TestRuntime | undefined;

    beforeAll(async () => {
      model = await startOpenAiServer((request) =>
        request.input.startsWith("slow") &&
        model.requests.filter((r) => r.input === request.input).length === 1
          ? { text: "late", delayMs: 20_000 }
          : { text: `done(${request.input})` },
      );
      database = await target.create();
    });
    afterAll(async () => {
      await second?.close();
      await database?.dispose();
      await model?.close();
    });

    it("are adopted by another node once the lease of the node that drove them ran out", async () => {
      const start = () => startTestRuntime(database, { ollamaBaseUrl: model.url, runLeaseSeconds: 2 });
      const first = await start();
      await first.call("POST", "/agents", { body: sampleAgent("worker", { tools: [] }) });
      await first.call("POST", "/workflow-definitions", {
        body: {
          name: "relay",
          steps: [
            { id: "a", type: "agent", agent_id: "worker", input: "fast: a" },
            { id: "b", type: "agent", agent_id: "worker", input: "slow: {{ steps.a.output }}" },
            { id: "c", type: "agent", agent_id: "worker", input: "fast: {{ steps.b.output }}" },
          ],
        },
      });
      const started = (
        await first.call("POST", "/workflows", {
          body: { workflow_id: "relay", parameters: {}, agent_id: null, wait: false },
        })
      ).body as WorkflowExecutionResponse;
      for (let i = 0; i < 400 && !model.requests.some((r) => r.input.startsWith("slow")); i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      // A caller waiting on another execution gets its answer when the runtime stops, not after wait_seconds.
      await first.call("POST", "/workflow-definitions", {
        body: { name: "hold", steps: [{ id: "h", type: "agent", agent_id: "worker", input: "slow: hold" }] },
      });
      const waiting = first.call("POST", "/workflows", {
        body: { workflow_id: "hold", parameters: {}, agent_id: null, wait_seconds: 120 },
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A graceful stop leaves the execution running (for its node to resume), the run interrupted.
      const stopping = Date.now();
      await first.close();
      expect(Date.now() - stopping).toBeLessThan(30_000);
      expect(((await waiting).body as WorkflowExecutionResponse).status).toBe("running");
      // The next process is another node: it only takes the execution over once the lease ran out.
      rmSync(join(database.dataDir, "node-id"), { force: true });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      second = await start();
      let execution: WorkflowExecution | undefined;
      for (let i = 0; i < 400 && execution?.status !== "succeeded"; i++) {
        execution = (await second.call("GET", `/workflow-executions/${started.execution_id}`))
          .body as WorkflowExecution;
        if (execution.status !== "succeeded") await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(execution?.status).toBe("succeeded");
      expect(execution?.result).toEqual({
        a: "done(fast: a)",
        b: "done(slow: done(fast: a))",
        c: "done(fast: done(slow: done(fast: a)))",
      });
      expect(model.requests.filter((r) => r.input === "fast: a")).toHaveLength(1);
      expect(model.requests.filter((r) => r.input === "slow: done(fast: a)")).toHaveLength(2);
      expect(execution?.steps.find((s) => s.id === "b")?.attempts).toBe(1);
      // Two runtimes, a 2 s lease and a graceful stop in one test: 30 s is too tight on a busy machine.
    }, 60_000);
  });
}
