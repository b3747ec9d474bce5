import type { Run } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { bearer, login, PASSWORD } from "../../../../test/support/identity.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { conversation } from "../../../../test/support/scripted-agents.js";
import { collectEvents } from "../../../../test/support/sse.js";

describe("live run events", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  const admin = bearer(TEST_API_KEY);

  beforeAll(async () => {
    model = await startOpenAiServer(conversation);
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    await server.call("POST", "/agents", { body: sampleAgent("talker", { tools: ["current_time"] }) });
    await server.call("POST", "/policies", {
      body: { name: "all", policy: "permit(principal, action, resource);" },
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("streams one run from its first step to its end, without gaps or repeats", async () => {
    const run = (
      await server.call("POST", "/agents/talker/execute", { body: { input: "time: now", wait: false } })
    ).body as Run;
    const { status, events, ended } = await collectEvents(`${server.api}/events?run_id=${run.id}`, admin);
    expect(status).toBe(200);
    expect(ended).toBe(true);
    const steps = events
      .filter((e) => e.event === "run.step")
      .map((e) => (e.data as { step: { seq: number } }).step.seq);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)).toMatchObject({
      event: "run.status",
      data: { status: "succeeded", run_id: run.id },
    });
  });

  it("shows a tenant only its own runs", async () => {
    const tenant = await server.call("POST", "/tenants", {
      body: { id: "other", name: "Other", admin: { username: "other-admin", password: PASSWORD } },
    });
    expect(tenant.status, tenant.text).toBe(201);
    const other = bearer((await login(server, "other-admin", { tenant: "other" })).access_token);
    const watching = collectEvents(`${server.api}/events`, other, { timeoutMs: 1_500 });
    const mine = collectEvents(`${server.api}/events?agent_id=talker`, admin, {
      enough: (events) => events.some((e) => (e.data as { status?: string }).status === "succeeded"),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.call("POST", "/agents/talker/execute", { body: { input: "hello" } });
    expect((await mine).events.length).toBeGreaterThan(0);
    expect((await watching).events).toEqual([]);
    const foreignRun = await collectEvents(`${server.api}/events?agent_id=talker`, other);
    expect(foreignRun.status).toBe(404);
  });

  /** Messages of a WebSocket subscription until the server closes it or `ms` pass; the HTTP status if refused. */
  const viaWebSocket = (query: string, headers: Record<string, string>, ms = 5_000) =>
    new Promise<{ status: number; messages: { type: string; step?: { seq: number }; status?: string }[] }>(
      (resolve, reject) => {
        const socket = new WebSocket(`${server.api.replace("http", "ws")}/events${query}`, { headers });
        const messages: { type: string }[] = [];
        const timer = setTimeout(() => {
          socket.terminate();
          resolve({ status: 101, messages });
        }, ms);
        socket.on("message", (data) => messages.push(JSON.parse(String(data))));
        socket.on("close", () => {
          clearTimeout(timer);
          resolve({ status: 101, messages });
        });
        socket.on("unexpected-response", (_request, response) => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, messages });
        });
        socket.on("error", (error) => {
          if (!String(error.message).includes("Unexpected server response")) reject(error);
        });
      },
    );

  it("serves the same subscriptions over a WebSocket, tenant-filtered too", async () => {
    const run = (
      await server.call("POST", "/agents/talker/execute", { body: { input: "time: ws", wait: false } })
    ).body as Run;
    const followed = await viaWebSocket(`?run_id=${run.id}`, admin);
    expect(followed.messages.filter((m) => m.type === "run.step").map((m) => m.step?.seq)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(followed.messages.at(-1)).toMatchObject({ type: "run.status", status: "succeeded" });
    expect((await viaWebSocket("", {})).status).toBe(401);
    expect((await viaWebSocket("?run_id=nope", admin)).status).toBe(404);
    const other = bearer((await login(server, "other-admin", { tenant: "other" })).access_token);
    const watching = viaWebSocket("", other, 1_500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.call("POST", "/agents/talker/execute", { body: { input: "hello over ws" } });
    expect((await watching).messages).toEqual([]);
  });

  it("refuses unauthenticated, unauthorised and malformed subscriptions", async () => {
    expect((await collectEvents(`${server.api}/events`, {})).status).toBe(401);
    const key = await server.call("POST", "/keys", {
      body: { name: "agents only", permissions: ["agents:read"] },
    });
    const limited = bearer((key.body as { key: string }).key);
    expect((await collectEvents(`${server.api}/events`, limited)).status).toBe(403);
    const bad = await fetch(`${server.api}/events?run_id=a/b&x=1`, { headers: admin });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("query.x");
    expect((await collectEvents(`${server.api}/events?run_id=nope`, admin)).status).toBe(404);
  });
});

describe("live run events at shutdown", () => {
  it("end, so that the runtime can stop while subscribers are connected", async () => {
    const database = await databaseTargets[0]!.create();
    const server = await startTestRuntime(database);
    try {
      const stream = collectEvents(`${server.api}/events`, bearer(TEST_API_KEY), { timeoutMs: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.close();
      expect((await stream).ended).toBe(true);
    } finally {
      await database.dispose();
    }
  });
});
