import { createHmac } from "node:crypto";
import { ConflictError, NotFoundError, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

describe("the SDK's endpoints and httpInputs", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let sdk: SymbiontClient;

  beforeAll(async () => {
    model = await startOpenAiServer((request) => ({ text: JSON.stringify({ seen: request.input.length }) }));
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    sdk = new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });
    await sdk.agents.create(sampleAgent("sdk-agent", { tools: [] }));
    await server.call("POST", "/secrets", {
      body: { agent_id: "*", secret_name: "sdk-hook", secret_value: "s3cr3t" },
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("creates, updates, serves and removes an endpoint with typed errors", async () => {
    const created = await sdk.endpoints.create({
      path: "/sdk/hmac",
      method: "POST",
      agent_id: "sdk-agent",
      verification: { scheme: "hmac", secret: "secret://sdk-hook", timestamp_header: "X-Timestamp" },
    });
    const id = created.endpoint_id;
    expect(created.endpoint_info.url_path).toBe("/hooks/sdk/hmac");
    await expect(
      sdk.endpoints.create({ path: "/sdk/hmac", method: "POST", agent_id: "sdk-agent" }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      sdk.endpoints.create({ path: "/../x", method: "POST", agent_id: "sdk-agent" }),
    ).rejects.toBeInstanceOf(ValidationError);

    const body = '{"hello":"world"}';
    const t = String(Math.floor(Date.now() / 1000));
    const signature = createHmac("sha256", "s3cr3t").update(`${t}.${body}`).digest("hex");
    const served = await fetch(`${server.runtime.url}/hooks/sdk/hmac`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-timestamp": t, "x-signature": `sha256=${signature}` },
      body,
    });
    expect(await served.json()).toMatchObject({ status: "succeeded", seen: body.length });

    const updated = await sdk.endpoints.update(id, { description: "signed", rate_limit: 10 });
    expect(updated.endpoint_info).toMatchObject({ description: "signed", rate_limit: 10, path: "/sdk/hmac" });
    expect((await sdk.endpoints.disable(id)).status).toBe("inactive");
    expect((await sdk.endpoints.enable(id)).status).toBe("active");
    expect((await sdk.endpoints.metrics(id)).total_requests).toBe(1);
    expect((await sdk.endpoints.list()).map((e) => e.endpoint_id)).toContain(id);
    await sdk.endpoints.delete(id);
    await expect(sdk.endpoints.get(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("runs an input server through its whole life", async () => {
    const info = await sdk.httpInputs.create({ agent_id: "sdk-agent", bind_address: "127.0.0.1", port: 0 });
    expect(info.status).toBe("running");
    const delivered = await fetch(info.listening_url as string, { method: "POST", body: '{"a":1}' });
    expect(await delivered.json()).toEqual({ seen: 7 });
    const triggered = await sdk.httpInputs.trigger(info.server_id, { b: 2 });
    expect(triggered).toMatchObject({
      status: "success",
      response_code: 200,
      response_body: { seen: 7 },
      agent_id: "sdk-agent",
    });
    expect((await sdk.httpInputs.metrics(info.server_id)).requests_processed).toBe(2);
    const moved = await sdk.httpInputs.update(info.server_id, {
      agent_id: "sdk-agent",
      bind_address: "127.0.0.1",
      port: 0,
      path: "/moved",
    });
    expect(moved.listening_url).toMatch(/\/moved$/);
    expect((await sdk.httpInputs.stop(info.server_id)).status).toBe("stopped");
    expect((await sdk.httpInputs.start(info.server_id)).status).toBe("running");
    expect((await sdk.httpInputs.list()).map((s) => s.server_id)).toContain(info.server_id);
    await sdk.httpInputs.delete(info.server_id);
    await expect(sdk.httpInputs.get(info.server_id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
