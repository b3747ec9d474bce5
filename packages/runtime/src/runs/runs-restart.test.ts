import type { Run } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { conversation, RecordingTools } from "../../../../test/support/scripted-agents.js";
import { collectEvents } from "../../../../test/support/sse.js";
import { RunRepository } from "./run-repository.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`runs across a restart on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let second: TestRuntime | undefined;

    beforeAll(async () => {
      model = await startOpenAiServer(conversation);
      database = await target.create();
    });
    afterAll(async () => {
      await second?.close();
      await database?.dispose();
      await model?.close();
    });

    it("keeps a run waiting for approval, fails interrupted ones, and never leaves one running", async () => {
      const start = (tools: RecordingTools) =>
        startTestRuntime(database, { ollamaBaseUrl: model.url }, { toolProviders: [tools] });
      const firstTools = new RecordingTools();
      const first = await start(firstTools);
      await first.call("POST", "/agents", { body: sampleAgent("ops", { tools: ["deploy"] }) });
      await first.call("POST", "/policies", {
        body: { name: "ask", policy: '@approval("required") permit(principal, action, resource);' },
      });
      const waiting = (await first.call("POST", "/agents/ops/execute", { body: { input: "deploy: now" } }))
        .body as Run;
      expect(waiting.status).toBe("awaiting_approval");
      const overdue = (await first.call("POST", "/agents/ops/execute", { body: { input: "deploy: later" } }))
        .body as Run;
      expect(overdue.status).toBe("awaiting_approval");
      await first.runtime.store.db
        .updateTable("runs")
        .set({ deadline_at: "2000-01-01T00:00:00.000Z" })
        .where("id", "=", overdue.id)
        .execute();
      const inFlight = (
        await first.call("POST", "/agents/ops/execute", { body: { input: "slow: x", wait: false } })
      ).body as Run;
      const crashed = (await first.call("POST", "/agents/ops/execute", { body: { input: "hello" } }))
        .body as Run;
      // What a kill -9 leaves behind: a run recorded as running that no process drives any more.
      await first.runtime.store.db
        .updateTable("runs")
        .set({ status: "running", finished_at: null })
        .where("id", "=", crashed.id)
        .execute();
      // Another node's runs on a shared database: one whose node died (lease run out), one alive.
      const alive = (await first.call("POST", "/agents/ops/execute", { body: { input: "hello" } }))
        .body as Run;
      const orphan = (await first.call("POST", "/agents/ops/execute", { body: { input: "hello" } }))
        .body as Run;
      const future = new Date(Date.now() + 3_600_000).toISOString();
      await first.runtime.store.db
        .updateTable("runs")
        .set({ status: "running", finished_at: null, owner: "another-node", lease_until: future })
        .where("id", "=", alive.id)
        .execute();
      await first.runtime.store.db
        .updateTable("runs")
        .set({
          status: "running",
          finished_at: null,
          owner: "another-node",
          lease_until: "2000-01-01T00:00:00.000Z",
        })
        .where("id", "=", orphan.id)
        .execute();
      await first.close();

      const tools = new RecordingTools();
      second = await start(tools);
      const read = async (id: string) =>
        (await (second as TestRuntime).call("GET", `/runs/${id}`)).body as Run;
      expect(await read(inFlight.id)).toMatchObject({
        status: "failed",
        error: expect.stringContaining("interrupted"),
      });
      expect(await read(crashed.id)).toMatchObject({
        status: "failed",
        error: expect.stringContaining("interrupted"),
      });
      expect((await read(waiting.id)).status).toBe("awaiting_approval");
      expect((await read(orphan.id)).status).toBe("failed");
      expect(await read(overdue.id)).toMatchObject({ status: "timed_out", pending_approval: null });
      expect((await read(alive.id)).status).toBe("running");
      // A node renews only the runs it names (its live drivers); once they lapse, any node sweeps them.
      const runs = new RunRepository(second.runtime.store.db);
      const later = new Date(Date.now() + 7_200_000).toISOString();
      await runs.renewLeases("another-node", [orphan.id, alive.id], later);
      const leases = await second.runtime.store.db.selectFrom("runs").select(["id", "lease_until"]).execute();
      expect(leases.find((r) => r.id === alive.id)?.lease_until).toBe(later);
      expect(leases.find((r) => r.id === orphan.id)?.lease_until).not.toBe(later);
      expect(
        await runs.failInterrupted(new Date().toISOString(), { leaseBefore: new Date().toISOString() }),
      ).toHaveLength(0);
      expect(
        await runs.failInterrupted(later, { leaseBefore: new Date(Date.now() + 8_000_000).toISOString() }),
      ).toHaveLength(1);
      expect((await read(alive.id)).status).toBe("failed");

      const decided = await second.call("POST", `/runs/${waiting.id}/approval`, {
        body: { decision: "approve" },
      });
      expect(decided.status, decided.text).toBe(200);
      let done = await read(waiting.id);
      for (let i = 0; i < 100 && done.status !== "succeeded"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        done = await read(waiting.id);
      }
      expect(done.status, done.error ?? "").toBe("succeeded");
      expect(done.steps.map((s) => s.kind)).toEqual([
        "model_call",
        "gate",
        "approval",
        "tool_call",
        "model_call",
      ]);
      expect(firstTools.calls).toEqual([]);
      expect(tools.calls.map((c) => c.runId)).toEqual([waiting.id]);
    });

    it("tells a run's subscribers when a sweep ends it", async () => {
      const swept = await target.create();
      const tools = new RecordingTools();
      const server = await startTestRuntime(
        swept,
        { ollamaBaseUrl: model.url, runLeaseSeconds: 2 },
        { toolProviders: [tools] },
      );
      try {
        await server.call("POST", "/agents", { body: sampleAgent("ops", { tools: ["deploy"] }) });
        await server.call("POST", "/policies", {
          body: { name: "ask", policy: '@approval("required") permit(principal, action, resource);' },
        });
        const run = (await server.call("POST", "/agents/ops/execute", { body: { input: "deploy: now" } }))
          .body as Run;
        expect(run.status).toBe("awaiting_approval");
        await server.runtime.store.db
          .updateTable("runs")
          .set({ deadline_at: "2000-01-01T00:00:00.000Z" })
          .where("id", "=", run.id)
          .execute();
        // The sweep runs every second with a 2 s lease; the stream must hear the end and close.
        const { events, ended } = await collectEvents(
          `${server.api}/events?run_id=${run.id}`,
          { authorization: `Bearer ${TEST_API_KEY}` },
          { timeoutMs: 8_000 },
        );
        expect(events.map((e) => (e.data as { status?: string }).status).filter(Boolean)).toContain(
          "timed_out",
        );
        expect(ended).toBe(true);
        expect(tools.calls).toEqual([]);
      } finally {
        await server.close();
        await swept.dispose();
      }
    });
  });
}
