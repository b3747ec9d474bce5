import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { pythonCall } from "../support/python-call.js";
import { startTestRuntime, type TestRuntime } from "../support/runtime.js";

/*
 * HTTP input servers (§5.9) and HTTP endpoints (§5.12) as the Python 0.3.x client drives them:
 * every request field sent, optionals as explicit null, bodyless POSTs; replies parsed with that
 * client's rules (../shared/contract/api-v1.md §2).
 */

const datetime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "RFC 3339 datetime");
const int = z.number().int();
const str = z.string();

// Defaulted fields may be omitted but never null; optional ones may be null.
const HttpInputConfig = z.object({
  bind_address: str.optional(),
  port: int.optional(),
  path: str.optional(),
  agent_id: str,
  auth_header: str.nullish(),
  jwt_public_key_path: str.nullish(),
  max_body_bytes: int.optional(),
  concurrency: int.optional(),
  routing_rules: z
    .array(
      z.object({
        condition_type: z.enum(["path_prefix", "header_equals", "json_field_equals"]),
        condition_value: str,
        condition_target: str.nullish(),
        agent_id: str,
      }),
    )
    .nullish(),
  response_control: z
    .object({
      default_status: int.optional(),
      agent_output_to_json: z.boolean().optional(),
      error_status: int.optional(),
      echo_input_on_error: z.boolean().optional(),
    })
    .nullish(),
  forward_headers: z.array(str).optional(),
  cors_enabled: z.boolean().optional(),
  audit_enabled: z.boolean().optional(),
});
const HttpInputServerInfo = z.object({
  server_id: str,
  config: HttpInputConfig,
  status: str,
  uptime_seconds: int.nullish(),
  requests_processed: int.optional(),
  active_connections: int.optional(),
  last_error: str.nullish(),
});
const WebhookTriggerResponse = z.object({
  status: str,
  response_code: int,
  response_body: z.record(z.string(), z.unknown()),
  processing_time_ms: z.number(),
  agent_id: str,
});
const EndpointStatus = z.enum(["active", "inactive", "maintenance", "error"]);
const HttpMethod = z.enum(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
const EndpointMetrics = z.object({
  endpoint_id: str,
  total_requests: int,
  successful_requests: int,
  failed_requests: int,
  average_response_time_ms: z.number(),
  max_response_time_ms: z.number(),
  min_response_time_ms: z.number(),
  requests_per_minute: z.number(),
  error_rate_percent: z.number(),
  uptime_seconds: int,
  last_request_at: datetime.nullish(),
});
const HttpEndpointInfo = z.object({
  endpoint_id: str,
  path: str,
  method: HttpMethod,
  agent_id: str,
  description: str.nullish(),
  status: EndpointStatus,
  auth_required: z.boolean(),
  rate_limit: int.nullish(),
  timeout_seconds: int,
  middleware: z.array(str).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  created_at: datetime,
  updated_at: datetime,
  created_by: str,
  metrics: EndpointMetrics.nullish(),
});
const HttpEndpointResponse = z.object({
  endpoint_id: str,
  status: str,
  message: str.nullish(),
  endpoint_info: HttpEndpointInfo.nullish(),
  created_at: datetime.nullish(),
});

const agent = {
  id: "py-webhook-agent",
  name: "Webhook agent",
  description: "Handles webhooks",
  system_prompt: "You handle webhooks.",
  tools: [],
  model: "llama3.2",
  temperature: 0.7,
  top_p: 1.0,
  max_tokens: 256,
};

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** HttpInputConfig as the client serialises it: every field, unset optionals null. */
const pythonConfig = (port: number, overrides: Record<string, unknown> = {}) => ({
  bind_address: "127.0.0.1",
  port,
  path: "/webhook",
  agent_id: agent.id,
  auth_header: null,
  jwt_public_key_path: null,
  max_body_bytes: 65536,
  concurrency: 10,
  routing_rules: null,
  response_control: null,
  forward_headers: [],
  cors_enabled: false,
  audit_enabled: true,
  ...overrides,
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `HTTP inputs and endpoints as the Python 0.3.x client uses them, on ${target.name}`,
    () => {
      let model: ModelServer;
      let database: FreshDatabase;
      let server: TestRuntime;
      const call = (method: string, path: string, body?: unknown) =>
        pythonCall(server.api, method, path, body);

      beforeAll(async () => {
        model = await startOpenAiServer((request) => ({ text: `handled ${request.input}` }));
        database = await target.create();
        server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
        expect((await call("POST", "/agents", agent)).status).toBeLessThan(300);
      });
      afterAll(async () => {
        await server?.close();
        await database?.dispose();
        await model?.close();
      });

      it("manages an HTTP input server end to end", async () => {
        const port = await freePort();
        const created = await call("POST", "/http-input/servers", { config: pythonConfig(port) });
        expect(created.status, created.text).toBe(200);
        const info = HttpInputServerInfo.parse(created.json());
        expect(info.status).toBe("running");
        expect(info.config).toMatchObject(pythonConfig(port));
        const id = info.server_id;

        const delivered = await fetch(`http://127.0.0.1:${port}/webhook`, {
          method: "POST",
          body: '{"event":"push"}',
        });
        expect(delivered.status).toBe(200);
        expect(await delivered.json()).toEqual({ output: 'handled {"event":"push"}' });

        const listed = z.array(HttpInputServerInfo).parse((await call("GET", "/http-input/servers")).json());
        expect(listed.map((s) => s.server_id)).toContain(id);
        HttpInputServerInfo.parse((await call("GET", `/http-input/servers/${id}`)).json());

        const triggered = await call("POST", `/http-input/servers/${id}/trigger`, {
          server_id: id,
          payload: { event: "manual" },
          headers: {},
        });
        expect(triggered.status, triggered.text).toBe(200);
        expect(WebhookTriggerResponse.parse(triggered.json())).toMatchObject({
          status: "success",
          response_code: 200,
          response_body: { output: 'handled {"event":"manual"}' },
          agent_id: agent.id,
        });

        const metrics = (await call("GET", `/http-input/servers/${id}/metrics`)).json();
        expect(metrics).toMatchObject({ server_id: id, requests_processed: 2, requests_failed: 0 });

        const stopped = await call("POST", `/http-input/servers/${id}/stop`);
        expect(stopped.json()).toEqual({ server_id: id, status: "stopped" });
        expect((await call("POST", `/http-input/servers/${id}/stop`)).status).toBe(200);
        const started = await call("POST", `/http-input/servers/${id}/start`);
        expect(started.json()).toEqual({ server_id: id, status: "running" });
        expect((await call("POST", `/http-input/servers/${id}/start`)).status).toBe(200);

        const newPort = await freePort();
        const updated = await call("PUT", `/http-input/servers/${id}`, {
          server_id: id,
          config: pythonConfig(newPort, { path: "/hooks/in", cors_enabled: true }),
        });
        expect(updated.status, updated.text).toBe(200);
        expect(HttpInputServerInfo.parse(updated.json()).config).toMatchObject({
          port: newPort,
          path: "/hooks/in",
        });
        // The update restarted it on the new port and released the old one.
        expect(
          (await fetch(`http://127.0.0.1:${newPort}/hooks/in`, { method: "POST", body: "{}" })).status,
        ).toBe(200);
        await expect(
          fetch(`http://127.0.0.1:${port}/webhook`, { method: "POST", body: "{}" }),
        ).rejects.toThrow();

        expect((await call("DELETE", `/http-input/servers/${id}`)).json()).toEqual({
          deleted: true,
          server_id: id,
        });
        expect((await call("GET", `/http-input/servers/${id}`)).status).toBe(404);
        expect((await call("POST", `/http-input/servers/${id}/start`)).status).toBe(404);
      });

      it("manages an HTTP endpoint end to end", async () => {
        const body = {
          path: "/py/orders",
          method: "POST",
          agent_id: agent.id,
          description: null,
          auth_required: true,
          rate_limit: null,
          timeout_seconds: 30,
          middleware: [],
          metadata: {},
        };
        const created = await call("POST", "/endpoints", body);
        expect(created.status, created.text).toBe(200);
        const response = HttpEndpointResponse.parse(created.json());
        expect(response.endpoint_info?.status).toBe("active");
        const id = response.endpoint_id;
        expect((await call("POST", "/endpoints", body)).status).toBe(409);

        const before = EndpointMetrics.parse((await call("GET", `/endpoints/${id}/metrics`)).json());
        expect(before).toMatchObject({ total_requests: 0, min_response_time_ms: 0, max_response_time_ms: 0 });
        expect(before.last_request_at ?? null).toBeNull();

        const served = await pythonCall(server.runtime.url, "POST", "/hooks/py/orders", { order: 7 });
        expect(served.status, served.text).toBe(200);
        expect(served.json()).toMatchObject({ status: "succeeded", output: 'handled {"order":7}' });

        const listed = z.array(HttpEndpointInfo).parse((await call("GET", "/endpoints")).json());
        expect(listed.map((e) => e.endpoint_id)).toContain(id);
        const info = HttpEndpointInfo.parse((await call("GET", `/endpoints/${id}`)).json());
        expect(info.created_by).toBeTruthy();

        const update = {
          endpoint_id: id,
          path: null,
          method: null,
          agent_id: null,
          description: "orders from the shop",
          auth_required: null,
          rate_limit: 120,
          timeout_seconds: null,
          status: null,
          middleware: null,
          metadata: null,
        };
        const updated = HttpEndpointResponse.parse((await call("PUT", `/endpoints/${id}`, update)).json());
        expect(updated.endpoint_info).toMatchObject({
          path: "/py/orders",
          method: "POST",
          description: "orders from the shop",
          rate_limit: 120,
          timeout_seconds: 30,
          auth_required: true,
        });
        expect(Date.parse(updated.endpoint_info?.updated_at ?? "")).toBeGreaterThan(
          Date.parse(info.updated_at),
        );

        expect((await call("POST", `/endpoints/${id}/disable`)).json()).toEqual({
          endpoint_id: id,
          status: "inactive",
        });
        expect((await pythonCall(server.runtime.url, "POST", "/hooks/py/orders", {})).status).toBe(404);
        expect((await call("POST", `/endpoints/${id}/enable`)).json()).toEqual({
          endpoint_id: id,
          status: "active",
        });

        const after = EndpointMetrics.parse((await call("GET", `/endpoints/${id}/metrics`)).json());
        expect(after.total_requests).toBe(1);
        expect(after.last_request_at).toBeTruthy();

        expect((await call("DELETE", `/endpoints/${id}`)).json()).toEqual({ deleted: true, endpoint_id: id });
        expect((await call("GET", `/endpoints/${id}`)).status).toBe(404);
      });
    },
  );
}
