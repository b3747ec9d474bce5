import type { Run, Schedule, ScheduleHistory } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { conversation } from "../../../../test/support/scripted-agents.js";

/** A clock the test moves by hand, shared by the runtimes of one test. */
function handClock(start: string) {
  let now = new Date(start);
  return {
    now: () => now,
    set(at: string) {
      now = new Date(at);
    },
  };
}

const issues = (body: unknown) =>
  ((body as { details?: { issues?: { field: string }[] } }).details?.issues ?? []).map((i) => i.field);

async function settledRun(server: TestRuntime, id: string): Promise<Run> {
  for (let i = 0; i < 200; i++) {
    const run = (await server.call("GET", `/runs/${id}`)).body as Run;
    if (run.status === "succeeded" || run.status === "failed") return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`run ${id} did not settle`);
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`schedules on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    const clock = handClock("2026-03-01T10:00:00.000Z");
    const start = () =>
      startTestRuntime(database, { ollamaBaseUrl: model.url, scheduler: false }, { clock: clock.now });

    beforeAll(async () => {
      model = await startOpenAiServer(conversation);
      database = await target.create();
      server = await start();
      expect((await server.call("POST", "/agents", { body: sampleAgent("clerk") })).status).toBe(201);
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    it("refuses bad schedules with the field named, and writes nothing", async () => {
      const base = { name: "s", agent_id: "clerk", cron: "0 * * * *" };
      const cases: [unknown, string][] = [
        [{ ...base, cron: "61 * * * *" }, "body.cron"],
        [{ ...base, cron: "* * *" }, "body.cron"],
        [{ ...base, cron: "0 0 30 2 *" }, "body.cron"],
        [{ ...base, at: "2030-01-01T00:00:00Z" }, "body.cron"],
        [{ name: "s", agent_id: "clerk" }, "body.cron"],
        [{ ...base, timezone: "Mars/Olympus_Mons" }, "body.timezone"],
        [{ ...base, cron: null, at: "2020-01-01T00:00:00Z" }, "body.at"],
        [{ ...base, cron: null, at: "tomorrow" }, "body.at"],
        [{ ...base, agent_id: "nobody" }, "body.agent_id"],
        [{ ...base, agent_id: "../x" }, "body.agent_id"],
        [{ ...base, name: "" }, "body.name"],
        [{ ...base, name: "a\u0000b" }, "body.name"],
        [{ ...base, input: "x".repeat(70_000) }, "body.input"],
        [{ ...base, missed: "sometimes" }, "body.missed"],
        [{ ...base, extra: 1 }, "body.extra"],
      ];
      for (const [body, field] of cases) {
        const response = await server.call("POST", "/schedules", { body });
        expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(issues(response.body), response.text).toContain(field);
      }
      expect(((await server.call("GET", "/schedules")).body as { items: unknown[] }).items).toEqual([]);
    });

    it("takes concurrent creates and updates without losing or mixing any", async () => {
      const names = Array.from({ length: 20 }, (_, i) => `parallel ${i} ✓`);
      const created = await Promise.all(
        names.map((name, i) =>
          server.call("POST", "/schedules", {
            body: { name, agent_id: "clerk", cron: `${i} * * * *`, one_shot: i % 2 === 0 },
          }),
        ),
      );
      expect(created.map((r) => r.status)).toEqual(names.map(() => 201));
      const ids = created.map((r) => (r.body as Schedule).id);
      const updated = await Promise.all(
        ids.map((id, i) => server.call("PUT", `/schedules/${id}`, { body: { cron: `${i} 3 * * *` } })),
      );
      expect(updated.map((r) => r.status)).toEqual(ids.map(() => 200));
      const list = (await server.call("GET", "/schedules")).body as { items: Schedule[] };
      for (const [i, id] of ids.entries()) {
        const schedule = list.items.find((s) => s.id === id);
        expect(schedule).toMatchObject({ name: names[i], cron: `${i} 3 * * *`, one_shot: i % 2 === 0 });
      }
      await Promise.all(ids.map((id) => server.call("DELETE", `/schedules/${id}`)));
      expect(((await server.call("GET", "/schedules")).body as { items: unknown[] }).items).toEqual([]);
    });

    it("creates, lists, updates, pauses, resumes and deletes, with the coming slots", async () => {
      const created = await server.call("POST", "/schedules", {
        body: {
          name: "Frühbericht 📰",
          agent_id: "clerk",
          cron: "0 30 2 * * *",
          timezone: "Europe/Berlin",
          input: "Summarise the night",
        },
      });
      expect(created.status, created.text).toBe(201);
      const schedule = created.body as Schedule;
      expect(schedule).toMatchObject({
        name: "Frühbericht 📰",
        status: "active",
        missed: "run_latest",
        origin: null,
        next_fire_at: "2026-03-02T01:30:00.000Z",
      });
      const next = await server.call("GET", `/schedules/${schedule.id}/next?count=3`);
      expect(next.body).toEqual({
        timezone: "Europe/Berlin",
        times: ["2026-03-02T01:30:00.000Z", "2026-03-03T01:30:00.000Z", "2026-03-04T01:30:00.000Z"],
      });
      expect((await server.call("GET", `/schedules/${schedule.id}/next?count=0`)).status).toBe(400);
      const listed = (await server.call("GET", "/schedules?agent_id=clerk")).body as { items: Schedule[] };
      expect(listed.items.map((s) => s.id)).toEqual([schedule.id]);

      const updated = await server.call("PUT", `/schedules/${schedule.id}`, {
        body: { cron: "0 0 12 * * *", timezone: "Asia/Tokyo", missed: "skip" },
      });
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body).toMatchObject({
        cron: "0 0 12 * * *",
        missed: "skip",
        next_fire_at: "2026-03-02T03:00:00.000Z",
      });
      expect((await server.call("PUT", `/schedules/${schedule.id}`, { body: {} })).status).toBe(400);
      const badCron = await server.call("PUT", `/schedules/${schedule.id}`, { body: { cron: "nope" } });
      expect(issues(badCron.body)).toEqual(["body.cron"]);

      const paused = (await server.call("POST", `/schedules/${schedule.id}/pause`)).body as Schedule;
      expect(paused).toMatchObject({ status: "paused", next_fire_at: null });
      expect(
        ((await server.call("GET", `/schedules/${schedule.id}/next`)).body as { times: string[] }).times,
      ).toEqual([]);
      const resumed = (await server.call("POST", `/schedules/${schedule.id}/resume`)).body as Schedule;
      expect(resumed).toMatchObject({ status: "active", next_fire_at: "2026-03-02T03:00:00.000Z" });

      expect((await server.call("DELETE", `/schedules/${schedule.id}`)).body).toEqual({
        deleted: true,
        id: schedule.id,
      });
      expect((await server.call("GET", `/schedules/${schedule.id}`)).status).toBe(404);
      expect((await server.call("POST", `/schedules/${schedule.id}/resume`)).status).toBe(404);
    });

    it("fires each slot once through a real run, survives a restart, and completes one-shots", async () => {
      clock.set("2026-03-01T10:00:00.000Z");
      const every10s = (
        await server.call("POST", "/schedules", {
          body: { name: "ticker", agent_id: "clerk", cron: "*/10 * * * * *", input: "tick" },
        })
      ).body as Schedule;
      const once = (
        await server.call("POST", "/schedules", {
          body: { name: "once", agent_id: "clerk", at: "2026-03-01T10:00:15.000Z" },
        })
      ).body as Schedule;
      expect(once).toMatchObject({ one_shot: true, next_fire_at: "2026-03-01T10:00:15.000Z" });

      expect((await server.runtime.scheduler.tick()).fired).toEqual([]);
      clock.set("2026-03-01T10:00:10.200Z");
      const first = await server.runtime.scheduler.tick();
      expect(first.fired).toEqual([
        { scheduleId: every10s.id, slot: "2026-03-01T10:00:10.000Z", runId: expect.any(String) },
      ]);
      // The same moment again: the slot is taken.
      expect((await server.runtime.scheduler.tick()).fired).toEqual([]);
      const run = await settledRun(server, first.fired[0]?.runId as string);
      expect(run).toMatchObject({
        status: "succeeded",
        agent_id: "clerk",
        input: "tick",
        output: "Hello! You said: tick",
      });

      // A restart on the same database: the schedule, its next slot and its history are kept.
      await server.close();
      server = await start();
      expect((await server.runtime.scheduler.tick()).fired).toEqual([]);
      clock.set("2026-03-01T10:00:20.000Z");
      const after = await server.runtime.scheduler.tick();
      expect(after.fired.map((f) => [f.scheduleId, f.slot]).sort()).toEqual(
        [
          [every10s.id, "2026-03-01T10:00:20.000Z"],
          [once.id, "2026-03-01T10:00:15.000Z"],
        ].sort(),
      );
      const onceNow = (await server.call("GET", `/schedules/${once.id}`)).body as Schedule;
      expect(onceNow).toMatchObject({
        status: "completed",
        next_fire_at: null,
        last_fired_at: "2026-03-01T10:00:15.000Z",
      });
      expect((await server.call("POST", `/schedules/${once.id}/resume`)).status).toBe(409);
      clock.set("2026-03-01T10:00:40.000Z");
      const later = await server.runtime.scheduler.tick();
      expect(later.fired.map((f) => f.scheduleId)).toEqual([every10s.id]);

      const history = (await server.call("GET", `/schedules/${every10s.id}/history`)).body as ScheduleHistory;
      expect(history.items.map((f) => [f.slot_time, f.status])).toEqual([
        ["2026-03-01T10:00:40.000Z", "started"],
        ["2026-03-01T10:00:20.000Z", "started"],
        ["2026-03-01T10:00:10.000Z", "started"],
      ]);
      expect(history.items.every((f) => typeof f.run_id === "string")).toBe(true);
      expect(
        ((await server.call("GET", `/schedules/${every10s.id}/history?limit=1`)).body as ScheduleHistory)
          .items,
      ).toHaveLength(1);
      await server.call("POST", `/schedules/${every10s.id}/pause`);
    });

    it("runs the latest slot missed during downtime once, or skips it, as each schedule says", async () => {
      clock.set("2026-04-01T00:00:00.000Z");
      const create = async (name: string, missed: string) =>
        (
          await server.call("POST", "/schedules", {
            body: { name, agent_id: "clerk", cron: "0 * * * *", missed, input: name },
          })
        ).body as Schedule;
      const catchUp = await create("catch-up", "run_latest");
      const skipper = await create("skipper", "skip");
      await server.close();
      // Down for five hours and a half: five slots passed.
      clock.set("2026-04-01T05:30:00.000Z");
      server = await start();
      const result = await server.runtime.scheduler.tick();
      expect(result.fired).toEqual([
        { scheduleId: catchUp.id, slot: "2026-04-01T05:00:00.000Z", runId: expect.any(String) },
      ]);
      expect(result.skipped).toEqual([{ scheduleId: skipper.id, slot: "2026-04-01T05:00:00.000Z" }]);
      for (const s of [catchUp, skipper]) {
        const now = (await server.call("GET", `/schedules/${s.id}`)).body as Schedule;
        expect(now.next_fire_at).toBe("2026-04-01T06:00:00.000Z");
      }
      const skipped = (await server.call("GET", `/schedules/${skipper.id}/history`)).body as ScheduleHistory;
      expect(skipped.items).toEqual([expect.objectContaining({ status: "skipped", run_id: null })]);
      expect((await server.runtime.scheduler.tick()).fired).toEqual([]);
      await server.call("POST", `/schedules/${catchUp.id}/pause`);
      await server.call("POST", `/schedules/${skipper.id}/pause`);
    });

    it("records a slot whose run cannot start (its agent was deleted) without retrying it", async () => {
      clock.set("2026-05-01T00:00:00.000Z");
      await server.call("POST", "/agents", { body: sampleAgent("temp") });
      const s = (
        await server.call("POST", "/schedules", {
          body: { name: "orphan", agent_id: "temp", cron: "0 * * * *" },
        })
      ).body as Schedule;
      await server.call("DELETE", "/agents/temp");
      clock.set("2026-05-01T01:00:01.000Z");
      const result = await server.runtime.scheduler.tick();
      expect(result.fired).toEqual([{ scheduleId: s.id, slot: "2026-05-01T01:00:00.000Z", runId: null }]);
      const history = (await server.call("GET", `/schedules/${s.id}/history`)).body as ScheduleHistory;
      expect(history.items[0]).toMatchObject({
        status: "failed",
        run_id: null,
        error: 'Agent "temp" not found',
      });
      // Every fire is in the audit log, as the schedule's creator, with its outcome.
      const audit = (await server.call("GET", "/audit?limit=500")).body as {
        entries: { action: string; outcome: string; details: Record<string, unknown> }[];
      };
      const fires = audit.entries.filter((e) => e.action === "schedule.fired");
      expect(fires.some((e) => e.outcome === "success" && typeof e.details.run_id === "string")).toBe(true);
      expect(fires.find((e) => e.details.slot_time === "2026-05-01T01:00:00.000Z")).toMatchObject({
        outcome: "failed",
        details: { agent_id: "temp", error: 'Agent "temp" not found' },
      });
      await server.call("DELETE", `/schedules/${s.id}`);
    });

    // Several nodes share Postgres. Two SQLite runtimes in one process would block each other's
    // synchronous busy wait on the one event loop, which no deployment does: so Postgres only.
    if (target.name === "postgres")
      it("fires each slot exactly once when two nodes race on one database", async () => {
        clock.set("2026-06-01T00:00:00.000Z");
        const second = await start();
        try {
          const s = (
            await server.call("POST", "/schedules", {
              body: { name: "raced", agent_id: "clerk", cron: "* * * * * *", input: "race" },
            })
          ).body as Schedule;
          const slots = 12;
          let fired = 0;
          for (let i = 1; i <= slots; i++) {
            clock.set(new Date(Date.parse("2026-06-01T00:00:00.000Z") + i * 1000 + 100).toISOString());
            const [a, b] = await Promise.all([
              server.runtime.scheduler.tick(),
              second.runtime.scheduler.tick(),
            ]);
            const both = [...a.fired, ...b.fired].filter((f) => f.scheduleId === s.id);
            expect(both, `slot ${i}`).toHaveLength(1);
            fired += both.length;
          }
          expect(fired).toBe(slots);
          const history = (await server.call("GET", `/schedules/${s.id}/history?limit=100`))
            .body as ScheduleHistory;
          expect(new Set(history.items.map((f) => f.slot_time)).size).toBe(slots);
          expect(new Set(history.items.map((f) => f.run_id)).size).toBe(slots);
          const runs = (await server.call("GET", "/agents/clerk/runs?limit=500")).body as { items: Run[] };
          expect(runs.items.filter((r) => r.input === "race")).toHaveLength(slots);
          await server.call("DELETE", `/schedules/${s.id}`);
        } finally {
          await second.close();
        }
      });
  });
}

describe("the scheduler on the real clock", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    await server.call("POST", "/agents", { body: sampleAgent("ticker") });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("fires a per-second cron on its own, one run per slot", async () => {
    const s = (
      await server.call("POST", "/schedules", {
        body: { name: "every second", agent_id: "ticker", cron: "* * * * * *", input: "beat" },
      })
    ).body as Schedule;
    let history: ScheduleHistory = { items: [] };
    for (let i = 0; i < 100 && history.items.filter((f) => f.status === "started").length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      history = (await server.call("GET", `/schedules/${s.id}/history`)).body as ScheduleHistory;
    }
    await server.call("POST", `/schedules/${s.id}/pause`);
    const started = history.items.filter((f) => f.status === "started");
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(new Set(started.map((f) => f.slot_time)).size).toBe(started.length);
    const run = await settledRun(server, started[0]?.run_id as string);
    expect(run.output).toBe("Hello! You said: beat");
  });
});
