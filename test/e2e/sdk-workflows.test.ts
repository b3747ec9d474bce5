import { orchestraWorkflow } from "@symbiont/protocol";
import { ConflictError, NotFoundError, type RunEvent, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";
import { conversation } from "../support/scripted-agents.js";

describe("the SDK's workflows against a real runtime", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let sdk: SymbiontClient;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    sdk = new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    await sdk.agents.create(sampleAgent("helper", { tools: [] }) as never);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("creates, versions, executes, follows, approves and cancels", async () => {
    const created = await sdk.workflows.create({
      name: "review-then-act",
      parameters: { topic: { type: "string", required: true } },
      steps: [
        { id: "draft", type: "agent", input: "draft: {{ params.topic }}" },
        { id: "check", type: "approval", message: "Publish {{ steps.draft.output }}?" },
        { id: "publish", type: "agent", input: "publish: {{ steps.draft.output }}", depends_on: ["check"] },
      ],
    });
    expect(created.version).toBe(1);
    await expect(
      sdk.workflows.create({ name: "review-then-act", steps: [{ id: "a", type: "approval" }] }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      sdk.workflows.create({
        name: "broken",
        steps: [{ id: "a", type: "agent", input: "{{ steps.zz.output }}" }],
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    const v2 = await sdk.workflows.createVersion("review-then-act", {
      parameters: { topic: { type: "string", required: true } },
      steps: [
        { id: "draft", type: "agent", input: "draft v2: {{ params.topic }}" },
        { id: "check", type: "approval", message: "Publish {{ steps.draft.output }}?" },
        { id: "publish", type: "agent", input: "publish: {{ steps.draft.output }}", depends_on: ["check"] },
      ],
    });
    expect(v2.version).toBe(2);
    expect((await sdk.workflows.versions(created.id)).items.map((v) => v.version)).toEqual([2, 1]);
    expect((await sdk.workflows.get("review-then-act", 1)).steps[0]).toMatchObject({
      input: "draft: {{ params.topic }}",
    });
    expect((await sdk.workflows.list()).items.map((d) => d.name)).toContain("review-then-act");

    const started = await sdk.workflows.execute("review-then-act", { topic: "bees" }, { agentId: "helper" });
    expect(started.status).toBe("awaiting_approval");
    const waiting = await sdk.workflows.getExecution(started.execution_id);
    expect(waiting.pending_approval?.message).toBe("Publish Hello! You said: draft v2: bees?");
    const events: RunEvent[] = [];
    const following = (async () => {
      for await (const event of sdk.runs.subscribe({ executionId: started.execution_id })) events.push(event);
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sdk.workflows.approve(started.execution_id, "ship it");
    const done = await sdk.workflows.waitForExecution(started.execution_id, { intervalMs: 50 });
    expect(done.status).toBe("succeeded");
    expect(done.result).toMatchObject({
      publish: "Hello! You said: publish: Hello! You said: draft v2: bees",
    });
    await following;
    expect(events.at(-1)).toMatchObject({ type: "workflow.status", status: "succeeded" });
    expect(
      events.some((e) => e.type === "workflow.step" && e.step_id === "publish" && e.status === "succeeded"),
    ).toBe(true);

    const slow = await sdk.workflows.execute(
      "review-then-act",
      { topic: "slow" },
      { agentId: "helper", version: 1, wait: false },
    );
    const cancelled = await sdk.workflows.cancel(slow.execution_id);
    expect(cancelled.status).toBe("cancelled");
    await expect(sdk.workflows.cancel(slow.execution_id)).rejects.toBeInstanceOf(ConflictError);
    const listed: string[] = [];
    for await (const item of sdk.workflows.listExecutions({ workflow_id: "review-then-act", limit: 1 }))
      listed.push(item.id);
    expect(listed.sort()).toEqual([started.execution_id, slow.execution_id].sort());
    await expect(sdk.workflows.getExecution("nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("runs the orchestra template, created from the protocol package", async () => {
    for (const id of ["o-1", "o-2", "o-3"]) await sdk.agents.create(sampleAgent(id, { tools: [] }) as never);
    await sdk.workflows.create(
      orchestraWorkflow({ name: "panel", reflectors: ["o-1", "o-2"], synthesiser: "o-3" }),
    );
    const answer = await sdk.workflows.execute("panel", { question: "tea or coffee?" });
    expect(answer.status).toBe("succeeded");
    const result = answer.result as { answer: string; disagreement_index: number };
    // The same scripted model answered both reflections alike: no disagreement.
    expect(result.disagreement_index).toBe(0);
    expect(result.answer).toContain("Question: tea or coffee?");
  });
});
