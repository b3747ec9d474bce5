import type { RunEventPayload } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { TEST_API_KEY, type TestRuntime, useTestRuntime } from "../../../../test/support/runtime.js";
import { collectEvents } from "../../../../test/support/sse.js";

type ReviewEvent = Extract<RunEventPayload, { type: "review.transition" }>;

const tool = (name: string) => ({
  name,
  description: "Returns the current weather for a city.",
  tool_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  provider: { name: "weather-co", public_key_url: null },
});

const admin = { authorization: `Bearer ${TEST_API_KEY}` };

async function waitForStatus(server: TestRuntime, id: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const session = (await server.call("GET", `/tool-review/sessions/${id}`)).body as { status: string };
    if (session.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`review ${id} never reached ${status}`);
}

const transitionsOf = (events: { data: unknown }[], reviewId: string) =>
  events
    .map((e) => e.data as ReviewEvent)
    .filter((e) => e.type === "review.transition" && e.review_id === reviewId)
    .map((e) => [e.from, e.to]);

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`tool review events on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("publishes every transition of a review on the live stream, to its own tenant only", async () => {
      let reviewId = "";
      const done = (events: { data: unknown }[]) =>
        reviewId !== "" && transitionsOf(events, reviewId).some(([, to]) => to === "revoked");
      const following = collectEvents(`${server.api}/events?topic=reviews`, admin, {
        enough: done,
        timeoutMs: 15_000,
      });
      const other = await insertApiKey(server, { tenant: "other-tenant", permissions: ["admin"] });
      const stranger = collectEvents(
        `${server.api}/events?topic=reviews`,
        { authorization: `Bearer ${other.key}` },
        {
          timeoutMs: 4_000,
        },
      );
      // Run events do not appear on the reviews topic, nor review events on the runs topic.
      const runsOnly = collectEvents(`${server.api}/events`, admin, { timeoutMs: 4_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));

      const submitted = await server.call("POST", "/tool-review/sessions", {
        body: { tool: tool("weather_now"), submitted_by: "bob", priority: "normal" },
      });
      reviewId = (submitted.body as { review_id: string }).review_id;
      await waitForStatus(server, reviewId, "pending_review");
      const decided = await server.call("POST", `/tool-review/sessions/${reviewId}/decisions`, {
        body: { decision: "approve", comments: "fine", reviewer_id: "alice" },
      });
      expect(decided.status, decided.text).toBe(200);
      const signed = await server.call("POST", "/tool-review/sign", {
        body: { review_id: reviewId, signing_key_id: "default" },
      });
      expect(signed.status, signed.text).toBe(200);
      expect((await server.call("POST", `/tool-review/signed/${reviewId}/revoke`)).status).toBe(200);

      const { status, events } = await following;
      expect(status).toBe(200);
      expect(transitionsOf(events, reviewId)).toEqual([
        [null, "submitted"],
        ["submitted", "analyzing"],
        ["analyzing", "pending_review"],
        ["pending_review", "approved"],
        ["approved", "signed"],
        ["signed", "revoked"],
      ]);
      const pending = events.map((e) => e.data as ReviewEvent).find((e) => e.to === "pending_review");
      expect(pending).toMatchObject({
        tool_name: "weather_now",
        mcp_server: null,
        risk_score: expect.any(Number),
      });
      expect((await stranger).events).toEqual([]);
      expect((await runsOnly).events).toEqual([]);
    });

    it("sends one review's current state first to a subscriber of that review", async () => {
      const submitted = await server.call("POST", "/tool-review/sessions", {
        body: { tool: tool("weather_later"), submitted_by: "bob", priority: "normal" },
      });
      const id = (submitted.body as { review_id: string }).review_id;
      await waitForStatus(server, id, "pending_review");
      let decided: Promise<unknown> | undefined;
      const following = collectEvents(`${server.api}/events?review_id=${id}`, admin, {
        enough: (events) => {
          // Decided only once the stream has sent the current state: the subscription is live then.
          if (events.length >= 1)
            decided ??= server.call("POST", `/tool-review/sessions/${id}/decisions`, {
              body: { decision: "reject", comments: "no", reviewer_id: "alice" },
            });
          return events.length >= 2;
        },
        timeoutMs: 10_000,
      });
      const { events } = await following;
      await decided;
      expect(transitionsOf(events, id)).toEqual([
        [null, "pending_review"],
        ["pending_review", "rejected"],
      ]);
    });

    it("refuses review subscriptions it cannot serve, with the reason", async () => {
      const runsReader = await insertApiKey(server, { permissions: ["runs:read"] });
      const forbidden = await collectEvents(`${server.api}/events?topic=reviews`, {
        authorization: `Bearer ${runsReader.key}`,
      });
      expect(forbidden.status).toBe(403);
      expect((await collectEvents(`${server.api}/events?review_id=nope`, admin)).status).toBe(404);
      expect((await collectEvents(`${server.api}/events?topic=everything`, admin)).status).toBe(400);
      expect((await collectEvents(`${server.api}/events?topic=reviews&agent_id=x`, admin)).status).toBe(400);
      expect((await collectEvents(`${server.api}/events?topic=runs&review_id=x`, admin)).status).toBe(400);
      const other = await insertApiKey(server, { tenant: "third-tenant", permissions: ["admin"] });
      const submitted = await server.call("POST", "/tool-review/sessions", {
        body: { tool: tool("weather_mine"), submitted_by: "bob", priority: "normal" },
      });
      const id = (submitted.body as { review_id: string }).review_id;
      const cross = await collectEvents(`${server.api}/events?review_id=${id}`, {
        authorization: `Bearer ${other.key}`,
      });
      expect(cross.status).toBe(404);
    });
  });
}
