import { SymbiontClient, ValidationError } from "@symbiont/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

describe("the SDK's schedules and review events against a real runtime", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let sdk: SymbiontClient;

  beforeAll(async () => {
    database = await (databaseTargets[0] as (typeof databaseTargets)[number]).create();
    server = await startTestRuntime(database, { scheduler: false });
    sdk = new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    await sdk.agents.create(sampleAgent("ops") as never);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  it("manages schedules", async () => {
    const schedule = await sdk.schedules.create({
      name: "weekdays",
      agent_id: "ops",
      cron: "0 9 * * MON-FRI",
      timezone: "Europe/Berlin",
    });
    expect(schedule).toMatchObject({ status: "active", missed: "run_latest", timezone: "Europe/Berlin" });
    expect((await sdk.schedules.nextTimes(schedule.id, 3)).times).toHaveLength(3);
    expect((await sdk.schedules.list("ops")).items.map((s) => s.id)).toEqual([schedule.id]);
    expect((await sdk.schedules.pause(schedule.id)).status).toBe("paused");
    expect((await sdk.schedules.resume(schedule.id)).status).toBe("active");
    expect((await sdk.schedules.update(schedule.id, { missed: "skip" })).missed).toBe("skip");
    expect((await sdk.schedules.history(schedule.id)).items).toEqual([]);
    const bad = await sdk.schedules
      .create({ name: "x", agent_id: "ops", cron: "nope" })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(await sdk.schedules.delete(schedule.id)).toEqual({ deleted: true, id: schedule.id });
  });

  it("answers waitForReviewCompletion as soon as the decision happens, from the live stream", async () => {
    const { review_id: reviewId } = await sdk.toolReview.submit(
      {
        name: "weather_now",
        description: "Returns the current weather for a city.",
        schema: { type: "object", properties: { city: { type: "string" } } },
        provider: { name: "weather-co" },
      },
      "bob",
    );
    // Polling every minute would miss this test's timeout: only the stream can answer in time.
    const waiting = sdk.toolReview.waitForReviewCompletion(reviewId, 20_000, 60_000);
    for (let i = 0; i < 200; i++) {
      if ((await sdk.toolReview.get(reviewId)).status === "pending_review") break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await sdk.toolReview.approve(reviewId, "alice");
    const session = await waiting;
    expect(session.status).toBe("approved");
  });
});
