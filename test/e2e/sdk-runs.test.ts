import { ConflictError, NotFoundError, type RunEvent, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";
import { conversation, RecordingTools } from "../support/scripted-agents.js";

describe("the SDK's runs, approvals and policies against a real runtime", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let sdk: SymbiontClient;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(
      database,
      { ollamaBaseUrl: model.url },
      { toolProviders: [new RecordingTools()] },
    );
    sdk = new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    await sdk.agents.create(sampleAgent("ops", { tools: ["current_time", "deploy"] }) as never);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("executes, streams, lists and cancels", async () => {
    await sdk.policies.create({
      name: "clock",
      policy: 'permit(principal, action, resource == Tool::"current_time");',
    });
    const run = await sdk.runs.execute("ops", "time: please");
    expect(run.status).toBe("succeeded");
    const events: RunEvent[] = [];
    for await (const event of sdk.runs.stream(run.id)) events.push(event);
    expect(events.filter((e) => e.type === "run.step")).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ type: "run.status", status: "succeeded" });
    const listed: string[] = [];
    for await (const item of sdk.runs.list("ops", { limit: 1 })) listed.push(item.id);
    expect(listed).toContain(run.id);
    const slow = await sdk.runs.execute("ops", "slow: x", { wait: false });
    expect((await sdk.runs.cancel(slow.id)).status).toBe("cancelled");
    await expect(sdk.runs.cancel(slow.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(sdk.runs.get("missing")).rejects.toBeInstanceOf(NotFoundError);
    await expect(sdk.runs.execute("ops", "")).rejects.toBeInstanceOf(ValidationError);
  });

  it("approves and denies through the SDK, and dry-runs policies", async () => {
    const ask = await sdk.policies.create({
      name: "ask",
      policy: '@approval("required") permit(principal, action, resource == Tool::"deploy");',
    });
    expect(ask.requires_approval).toBe(true);
    expect(await sdk.policies.evaluate({ agent_id: "ops", tool: "deploy" })).toMatchObject({
      decision: "require_approval",
    });
    const waiting = await sdk.runs.execute("ops", "deploy: go");
    expect(waiting.status).toBe("awaiting_approval");
    expect((await sdk.runs.approvals()).items.map((r) => r.id)).toContain(waiting.id);
    await sdk.runs.approve(waiting.id, "ok");
    const events: RunEvent[] = [];
    for await (const event of sdk.runs.stream(waiting.id)) events.push(event);
    expect(events.at(-1)).toMatchObject({ status: "succeeded" });
    const second = await sdk.runs.execute("ops", "deploy: again");
    await sdk.runs.deny(second.id, "no");
    for await (const _ of sdk.runs.stream(second.id)) {
      // drain until it ends
    }
    expect((await sdk.runs.get(second.id)).output).toContain("denied");
    expect((await sdk.policies.list()).items.map((p) => p.id)).toContain(ask.id);
    await sdk.policies.update(ask.id, { enabled: false });
    expect((await sdk.policies.get(ask.id)).enabled).toBe(false);
    await sdk.policies.delete(ask.id);
    await expect(sdk.policies.get(ask.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
