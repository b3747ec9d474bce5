import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { bearer, userToken } from "../../../../test/support/identity.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const GITHUB_SECRET = "gh-webhook-secret-do-not-leak";
const STRIPE_SECRET = "whsec_stripe_test_do_not_leak";
const SLACK_SECRET = "slack-signing-secret-do-not-leak";

const sign = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("hex");

/** The agent answers with what it was given, as JSON, so a response proves what reached it. */
const echoModel = (request: { input: string }) => ({ text: JSON.stringify({ received: request.input }) });

interface Info {
  endpoint_id: string;
  status: string;
  updated_at: string;
  description: string | null;
  rate_limit: number | null;
  metrics: { total_requests: number };
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`dynamic endpoints on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    let hooks: string;

    const hook = (
      path: string,
      init: { method?: string; body?: string; headers?: Record<string, string> } = {},
    ) =>
      fetch(`${hooks}${path}`, {
        method: init.method ?? "POST",
        headers: { "content-type": "application/json", ...init.headers },
        body: init.body,
      });
    const create = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/endpoints", {
        body: { method: "POST", agent_id: "echo", ...body },
      });
      expect(response.status, response.text).toBe(200);
      return (response.body as { endpoint_id: string; endpoint_info: Info }).endpoint_info;
    };
    const runsOf = async () =>
      ((await server.call("GET", "/agents/echo/runs")).body as { items: { id: string; input: string }[] })
        .items;

    beforeAll(async () => {
      model = await startOpenAiServer(echoModel);
      database = await target.create();
      server = await startTestRuntime(database, { ollamaBaseUrl: model.url, rateLimitIpPerMinute: 0 });
      hooks = `${server.runtime.url}/hooks`;
      expect(
        (await server.call("POST", "/agents", { body: sampleAgent("echo", { tools: [] }) })).status,
      ).toBe(201);
      for (const [name, value] of [
        ["github-hook", GITHUB_SECRET],
        ["stripe-hook", STRIPE_SECRET],
        ["slack-hook", SLACK_SECRET],
      ]) {
        const secret = await server.call("POST", "/secrets", {
          body: { agent_id: "*", secret_name: name, secret_value: value },
        });
        expect(secret.status, secret.text).toBeLessThan(300);
      }
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    it("delivers a signed GitHub delivery to its agent and refuses forged, unsigned and replayed ones with 401", async () => {
      await create({
        path: "/github/push",
        verification: { scheme: "github", secret: "secret://github-hook" },
      });
      const body = JSON.stringify({ action: "opened", repository: { name: "symbiont" }, note: "héllo 🌍" });
      const delivery = randomUUID();
      const signed = {
        "x-hub-signature-256": `sha256=${sign(GITHUB_SECRET, body)}`,
        "x-github-delivery": delivery,
      };
      const accepted = await hook("/github/push", { body, headers: signed });
      const answer = (await accepted.json()) as { run_id: string; status: string; received: string };
      expect(accepted.status, JSON.stringify(answer)).toBe(200);
      expect(answer.status).toBe("succeeded");
      expect(answer.received).toBe(body);
      expect((await server.call("GET", `/runs/${answer.run_id}`)).status).toBe(200);

      const replayed = await hook("/github/push", { body, headers: signed });
      expect(replayed.status).toBe(401);
      expect(await replayed.text()).toContain("replayed");

      const forged = await hook("/github/push", {
        body: body.replace("opened", "deleted"),
        headers: { ...signed, "x-github-delivery": randomUUID() },
      });
      expect(forged.status).toBe(401);
      const forgedText = await forged.text();
      expect(forgedText).toContain("signature mismatch");
      expect(forgedText).not.toContain(GITHUB_SECRET);

      const wrongKey = await hook("/github/push", {
        body,
        headers: {
          "x-hub-signature-256": `sha256=${sign("guess", body)}`,
          "x-github-delivery": randomUUID(),
        },
      });
      expect(wrongKey.status).toBe(401);
      expect((await hook("/github/push", { body })).status).toBe(401);
      // Only the genuine delivery ran the agent.
      expect((await runsOf()).filter((run) => run.input.includes("symbiont"))).toHaveLength(1);
    });

    it("checks Stripe and Slack signatures with their timestamps and refuses stale deliveries", async () => {
      await create({ path: "/stripe", verification: { scheme: "stripe", secret: "secret://stripe-hook" } });
      await create({
        path: "/slack",
        verification: { scheme: "slack", secret: "secret://slack-hook", tolerance_seconds: 60 },
      });
      const body = JSON.stringify({ type: "invoice.paid" });
      const now = Math.floor(Date.now() / 1000);
      const stripeHeader = (t: number) => ({
        "stripe-signature": `t=${t},v1=${sign(STRIPE_SECRET, `${t}.${body}`)}`,
      });
      expect((await hook("/stripe", { body, headers: stripeHeader(now) })).status).toBe(200);
      expect((await hook("/stripe", { body, headers: stripeHeader(now) })).status).toBe(401);
      const stale = await hook("/stripe", { body, headers: stripeHeader(now - 3600) });
      expect(stale.status).toBe(401);
      expect(await stale.text()).toContain("stale");

      const slackHeaders = (t: number) => ({
        "x-slack-request-timestamp": String(t),
        "x-slack-signature": `v0=${sign(SLACK_SECRET, `v0:${t}:${body}`)}`,
      });
      expect((await hook("/slack", { body, headers: slackHeaders(now) })).status).toBe(200);
      expect((await hook("/slack", { body, headers: slackHeaders(now - 120) })).status).toBe(401);
      expect((await hook("/slack", { body, headers: slackHeaders(now) })).status).toBe(401);
    });

    it("triggers only deliveries whose payload passes the filters", async () => {
      await create({
        path: "/filtered",
        auth_required: false,
        filters: [{ path: "$.action", equals: "opened" }],
      });
      const before = (await runsOf()).length;
      const ignored = await hook("/filtered", { body: JSON.stringify({ action: "closed" }) });
      expect(ignored.status).toBe(200);
      expect(((await ignored.json()) as { status: string }).status).toBe("ignored");
      expect((await runsOf()).length).toBe(before);
      const ran = await hook("/filtered", { body: JSON.stringify({ action: "opened" }) });
      expect(ran.status).toBe(200);
      expect((await runsOf()).length).toBe(before + 1);
    });

    it("asks for a credential with permission to execute the agent when auth is required", async () => {
      await create({ path: "/private" });
      expect((await hook("/private", { body: "{}" })).status).toBe(401);
      const viewer = await userToken(server, "endpoint-viewer", ["viewer"]);
      expect((await hook("/private", { body: "{}", headers: bearer(viewer) })).status).toBe(403);
      const accepted = await hook("/private", {
        body: '{"q":1}',
        headers: { authorization: `Bearer ${await adminKey()}` },
      });
      expect(accepted.status).toBe(200);
      const queued = await hook("/private", {
        body: '{"q":2}',
        headers: { authorization: `Bearer ${await adminKey()}`, prefer: "respond-async" },
      });
      expect(queued.status).toBe(202);
      expect(((await queued.json()) as { run_id: string }).run_id).toBeTruthy();
    });

    async function adminKey() {
      const key = await server.call("POST", "/keys", {
        body: { name: `k-${randomUUID()}`, permissions: ["admin"] },
      });
      return (key.body as { key: string }).key;
    }

    it("mounts, disables, puts in maintenance and unmounts without a restart", async () => {
      const info = await create({ path: "/lifecycle", auth_required: false });
      expect((await hook("/lifecycle", { body: "{}" })).status).toBe(200);
      expect((await server.call("POST", `/endpoints/${info.endpoint_id}/disable`, { raw: "" })).body).toEqual(
        {
          endpoint_id: info.endpoint_id,
          status: "inactive",
        },
      );
      expect((await hook("/lifecycle", { body: "{}" })).status).toBe(404);
      await server.call("PUT", `/endpoints/${info.endpoint_id}`, {
        body: nullUpdate(info.endpoint_id, { status: "maintenance" }),
      });
      const maintenance = await hook("/lifecycle", { body: "{}" });
      expect(maintenance.status).toBe(503);
      expect(maintenance.headers.get("retry-after")).toBe("60");
      await server.call("POST", `/endpoints/${info.endpoint_id}/enable`, { raw: "" });
      expect((await hook("/lifecycle", { body: "{}" })).status).toBe(200);
      expect((await hook("/lifecycle", { method: "GET" })).status).toBe(404);
      const deleted = await server.call("DELETE", `/endpoints/${info.endpoint_id}`);
      expect(deleted.body).toEqual({ deleted: true, endpoint_id: info.endpoint_id });
      expect((await hook("/lifecycle", { body: "{}" })).status).toBe(404);
      expect((await server.call("GET", `/endpoints/${info.endpoint_id}`)).status).toBe(404);
    });

    const nullUpdate = (id: string, changes: Record<string, unknown> = {}) => ({
      endpoint_id: id,
      path: null,
      method: null,
      agent_id: null,
      description: null,
      auth_required: null,
      rate_limit: null,
      timeout_seconds: null,
      status: null,
      middleware: null,
      metadata: null,
      ...changes,
    });

    it("leaves null fields unchanged on update and moves updated_at forward", async () => {
      const info = await create({
        path: "/updated",
        description: "first",
        rate_limit: 100,
        metadata: { team: "a" },
      });
      const same = await server.call("PUT", `/endpoints/${info.endpoint_id}`, {
        body: nullUpdate(info.endpoint_id),
      });
      expect(same.status, same.text).toBe(200);
      const after = (same.body as { endpoint_info: Info & { metadata: unknown } }).endpoint_info;
      expect(after.description).toBe("first");
      expect(after.rate_limit).toBe(100);
      expect(after.metadata).toEqual({ team: "a" });
      expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(info.updated_at));
      const moved = await server.call("PUT", `/endpoints/${info.endpoint_id}`, {
        body: nullUpdate(info.endpoint_id, { path: "/github/push" }),
      });
      expect(moved.status).toBe(409);
    });

    it("answers exactly one of many concurrent creates of the same method and path; the rest get 409", async () => {
      const attempts = await Promise.all(
        Array.from({ length: 8 }, () =>
          server.call("POST", "/endpoints", { body: { path: "/race", method: "PUT", agent_id: "echo" } }),
        ),
      );
      expect(attempts.filter((r) => r.status === 200)).toHaveLength(1);
      expect(attempts.filter((r) => r.status === 409)).toHaveLength(7);
      // The same path with another method is another endpoint.
      expect(
        (
          await server.call("POST", "/endpoints", {
            body: { path: "/race", method: "POST", agent_id: "echo" },
          })
        ).status,
      ).toBe(200);
    });

    it("refuses hostile paths and bodies with a 4xx naming the field", async () => {
      for (const path of ["/a/../b", "/a b", "/ünï", "relative", "/a//b", "/a?x=1", "/%2e%2e", "/", "/a/"]) {
        const response = await server.call("POST", "/endpoints", {
          body: { path, method: "POST", agent_id: "echo" },
        });
        expect(response.status, path).toBe(400);
        expect(response.text).toContain("body.path");
      }
      const unknownAgent = await server.call("POST", "/endpoints", {
        body: { path: "/ghost", method: "POST", agent_id: "ghost" },
      });
      expect(unknownAgent.status).toBe(400);
      expect(unknownAgent.text).toContain("body.agent_id");
      const badMethod = await server.call("POST", "/endpoints", {
        body: { path: "/m", method: "post", agent_id: "echo" },
      });
      expect(badMethod.status).toBe(400);
      await create({ path: "/open", auth_required: false });
      expect((await hook("/open", { body: "{not json" })).status).toBe(400);
      expect((await hook("/open", { body: "x".repeat(2 * 1024 * 1024) })).status).toBe(413);
      expect((await fetch(`${hooks}/%C3%BC`, { method: "POST", body: "{}" })).status).toBe(404);
      expect(
        (await fetch(`${hooks}/open/..%2F..%2Fapi%2Fv1%2Fagents`, { method: "POST", body: "{}" })).status,
      ).toBe(404);
      const nul = await hook("/open", { body: '{"a":"\\u0000"}', headers: { "content-type": "text/plain" } });
      expect(nul.status).toBe(200);
    });

    it("enforces the per-minute rate limit of an endpoint", async () => {
      await create({ path: "/limited", auth_required: false, rate_limit: 2 });
      expect((await hook("/limited", { body: "{}" })).status).toBe(200);
      expect((await hook("/limited", { body: "{}" })).status).toBe(200);
      const limited = await hook("/limited", { body: "{}" });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("counts requests, errors and latency per endpoint", async () => {
      const info = await create({ path: "/measured", auth_required: false });
      const zero = (await server.call("GET", `/endpoints/${info.endpoint_id}/metrics`)).body as Record<
        string,
        unknown
      >;
      expect(zero).toMatchObject({
        total_requests: 0,
        failed_requests: 0,
        last_request_at: null,
        min_response_time_ms: 0,
      });
      await hook("/measured", { body: "{}" });
      await hook("/measured", { body: "{}" });
      await hook("/measured", { body: "{oops" });
      const metrics = (await server.call("GET", `/endpoints/${info.endpoint_id}/metrics`)).body as Record<
        string,
        number | string
      >;
      expect(metrics).toMatchObject({
        total_requests: 3,
        successful_requests: 2,
        failed_requests: 1,
        requests_per_minute: 3,
      });
      expect(metrics.error_rate_percent).toBeCloseTo(33.333, 2);
      expect(Number(metrics.p95_response_time_ms)).toBeGreaterThan(0);
      expect(Number(metrics.max_response_time_ms)).toBeGreaterThanOrEqual(
        Number(metrics.min_response_time_ms),
      );
      expect(typeof metrics.last_request_at).toBe("string");
      // Loopback may scrape by default.
      const scraped = await fetch(`${server.runtime.url}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain(
        `symbiont_endpoint_requests_total{endpoint_id="${info.endpoint_id}",outcome="success"} 2`,
      );
    });
  });
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`dynamic endpoints across two nodes on ${target.name}`, () => {
    it("serves an endpoint created on one node from the other, and refuses there a delivery replayed from the first", async () => {
      const model = await startOpenAiServer(echoModel);
      const database = await target.create();
      const nodeA = await startTestRuntime(database, { ollamaBaseUrl: model.url });
      const nodeB = await startTestRuntime(database, { ollamaBaseUrl: model.url });
      try {
        await nodeA.call("POST", "/agents", { body: sampleAgent("echo", { tools: [] }) });
        await nodeA.call("POST", "/secrets", {
          body: { agent_id: "*", secret_name: "github-hook", secret_value: GITHUB_SECRET },
        });
        const created = await nodeA.call("POST", "/endpoints", {
          body: {
            path: "/shared",
            method: "POST",
            agent_id: "echo",
            verification: { scheme: "github", secret: "secret://github-hook" },
          },
        });
        expect(created.status, created.text).toBe(200);
        const body = '{"zen":"Keep it logically awesome."}';
        const headers = {
          "content-type": "application/json",
          "x-hub-signature-256": `sha256=${sign(GITHUB_SECRET, body)}`,
          "x-github-delivery": randomUUID(),
        };
        const first = await fetch(`${nodeA.runtime.url}/hooks/shared`, { method: "POST", headers, body });
        expect(first.status).toBe(200);
        // Node B learns of the endpoint within its routing table's staleness bound.
        let replayed: Response | undefined;
        for (let i = 0; i < 40; i++) {
          replayed = await fetch(`${nodeB.runtime.url}/hooks/shared`, { method: "POST", headers, body });
          if (replayed.status !== 404) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(replayed?.status).toBe(401);
        expect(await replayed?.text()).toContain("replayed");
      } finally {
        await nodeB.close();
        await nodeA.close();
        await database.dispose();
        await model.close();
      }
    });
  });
}
