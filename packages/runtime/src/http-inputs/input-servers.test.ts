import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const HOOK_SECRET = "input-hook-secret-do-not-leak";

/** Each agent answers with its name and what it was given, so a response proves where it went. */
const echoModel = (request: { input: string; system: string }) => ({
  text: JSON.stringify({ agent: request.system, received: request.input }),
  ...(request.input.includes("slow") ? { delayMs: 1500 } : {}),
});

interface Info {
  server_id: string;
  status: string;
  last_error?: string;
  listening_url: string | null;
  requests_processed: number;
  config: Record<string, unknown>;
}

/** A port some other program holds. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`HTTP input servers on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;

    const create = async (config: Record<string, unknown>) => {
      const response = await server.call("POST", "/http-input/servers", {
        body: { config: { bind_address: "127.0.0.1", port: 0, agent_id: "triage", ...config } },
      });
      expect(response.status, response.text).toBe(200);
      return response.body as Info;
    };
    const deliver = (info: Info, body: string, headers: Record<string, string> = {}, path = "") =>
      fetch(`${info.listening_url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });

    beforeAll(async () => {
      model = await startOpenAiServer((request) => {
        const messages = request.body.messages as { role: string; content: unknown }[];
        return echoModel({
          input: request.input,
          system: String(messages.find((m) => m.role === "system")?.content),
        });
      });
      database = await target.create();
      server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
      for (const id of ["triage", "issues-bot", "doomed"]) {
        const agent = sampleAgent(id, { tools: [], system_prompt: id });
        expect((await server.call("POST", "/agents", { body: agent })).status).toBe(201);
      }
      await server.call("POST", "/secrets", {
        body: { agent_id: "*", secret_name: "input-hook", secret_value: HOOK_SECRET },
      });
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    it("listens on its own port, routes by the rules and answers with the agent's output", async () => {
      const info = await create({
        path: "/github",
        routing_rules: [
          {
            condition_type: "header_equals",
            condition_target: "X-GitHub-Event",
            condition_value: "issues",
            agent_id: "issues-bot",
          },
          {
            condition_type: "json_field_equals",
            condition_target: "repo.name",
            condition_value: "special",
            agent_id: "issues-bot",
          },
        ],
      });
      expect(info.status).toBe("running");
      expect(info.config).toMatchObject({
        port: 0,
        path: "/github",
        max_body_bytes: 65536,
        forward_headers: [],
        cors_enabled: false,
      });
      const plain = await deliver(info, '{"action":"opened"}');
      expect(plain.status).toBe(200);
      expect(await plain.json()).toMatchObject({ agent: "triage", received: '{"action":"opened"}' });
      const byHeader = await deliver(info, "{}", { "x-github-event": "issues" });
      expect(await byHeader.json()).toMatchObject({ agent: "issues-bot" });
      const byField = await deliver(info, '{"repo":{"name":"special"}}');
      expect(await byField.json()).toMatchObject({ agent: "issues-bot" });
      expect(
        (await fetch(info.listening_url?.replace("/github", "/elsewhere") ?? "", { method: "POST" })).status,
      ).toBe(404);
      expect((await fetch(info.listening_url ?? "")).status).toBe(405);

      const triggered = await server.call("POST", `/http-input/servers/${info.server_id}/trigger`, {
        body: { server_id: info.server_id, payload: { x: 1 }, headers: { "X-GitHub-Event": "issues" } },
      });
      expect(triggered.status, triggered.text).toBe(200);
      expect(triggered.body).toMatchObject({ status: "success", response_code: 200, agent_id: "issues-bot" });
      expect((triggered.body as { response_body: unknown }).response_body).toMatchObject({
        received: '{"x":1}',
      });

      const metrics = (await server.call("GET", `/http-input/servers/${info.server_id}/metrics`))
        .body as Record<string, number>;
      expect(metrics).toMatchObject({ server_id: info.server_id, requests_processed: 6, requests_failed: 2 });
      expect(metrics.average_latency_ms).toBeGreaterThan(0);
      expect(Number.isInteger(metrics.uptime_seconds)).toBe(true);
    });

    it("applies response control: status codes, raw output, echoing the input on errors", async () => {
      const info = await create({
        response_control: {
          default_status: 201,
          agent_output_to_json: false,
          error_status: 502,
          echo_input_on_error: true,
        },
        routing_rules: [
          {
            condition_type: "path_prefix",
            condition_value: "/webhook/doomed",
            condition_target: null,
            agent_id: "doomed",
          },
        ],
      });
      const ok = await deliver(info, '{"a":1}');
      expect(ok.status).toBe(201);
      expect(ok.headers.get("content-type")).toContain("text/plain");
      expect(await ok.text()).toContain('"received"');
      // The rule's agent is deleted after the server was configured: the delivery fails cleanly.
      expect((await server.call("DELETE", "/agents/doomed")).status).toBe(200);
      const failed = await deliver(info, '{"a":2}', {}, "/doomed");
      expect(failed.status).toBe(502);
      expect(await failed.json()).toMatchObject({ input: { a: 2 } });
    });

    it("stops releasing the port, starts binding it again, and reports a port in use as an error", async () => {
      const info = await create({});
      const url = info.listening_url as string;
      expect((await deliver(info, "{}")).status).toBe(200);
      expect(
        (await server.call("POST", `/http-input/servers/${info.server_id}/stop`, { raw: "" })).body,
      ).toEqual({
        server_id: info.server_id,
        status: "stopped",
      });
      await expect(fetch(url, { method: "POST", body: "{}" })).rejects.toThrow();
      expect(((await server.call("GET", `/http-input/servers/${info.server_id}`)).body as Info).status).toBe(
        "stopped",
      );
      const started = await server.call("POST", `/http-input/servers/${info.server_id}/start`, { raw: "" });
      expect(started.body).toEqual({ server_id: info.server_id, status: "running" });
      const again = (await server.call("GET", `/http-input/servers/${info.server_id}`)).body as Info;
      expect(again.status).toBe("running");
      expect((await deliver(again, "{}")).status).toBe(200);

      const held = await occupiedPort();
      try {
        const busy = await create({ port: held.port });
        expect(busy.status).toBe("error");
        expect(busy.last_error).toContain(`Port ${held.port}`);
        expect(busy.last_error).toContain("already in use");
        const retry = await server.call("POST", `/http-input/servers/${busy.server_id}/start`, { raw: "" });
        expect(retry.status).toBe(409);
        expect(retry.text).toContain("already in use");
      } finally {
        held.server.close();
      }
      const deleted = await server.call("DELETE", `/http-input/servers/${info.server_id}`);
      expect(deleted.body).toEqual({ deleted: true, server_id: info.server_id });
      await expect(fetch(again.listening_url as string, { method: "POST", body: "{}" })).rejects.toThrow();
    });

    it("checks auth headers by secret reference and GitHub signatures, refusing forged and replayed deliveries", async () => {
      const info = await create({ verification: { scheme: "github", secret: "secret://input-hook" } });
      const body = '{"action":"opened"}';
      const signature = `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`;
      const headers = { "x-hub-signature-256": signature, "x-github-delivery": randomUUID() };
      expect((await deliver(info, body, headers)).status).toBe(200);
      const replay = await deliver(info, body, headers);
      expect(replay.status).toBe(401);
      expect(await replay.text()).toContain("replayed");
      expect(
        (await deliver(info, '{"action":"deleted"}', { ...headers, "x-github-delivery": randomUUID() }))
          .status,
      ).toBe(401);

      const guarded = await create({ auth_header: "secret://input-hook" });
      expect((await deliver(guarded, "{}")).status).toBe(401);
      expect((await deliver(guarded, "{}", { authorization: "wrong" })).status).toBe(401);
      expect((await deliver(guarded, "{}", { authorization: HOOK_SECRET })).status).toBe(200);
    });

    it("refuses oversized bodies, bad JSON and a flood beyond its concurrency", async () => {
      const info = await create({ max_body_bytes: 1024, cors_enabled: true });
      expect((await deliver(info, `{"x":"${"a".repeat(2048)}"}`)).status).toBe(413);
      const bad = await deliver(info, "{nope");
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("JSON");
      const preflight = await fetch(info.listening_url as string, { method: "OPTIONS" });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect((await deliver(info, '{"ok":"ünïcödé 🎉"}')).status).toBe(200);
      // Raw paths, as a hostile sender writes them (fetch would normalise the dots away).
      const url = new URL(info.listening_url as string);
      for (const path of [
        "/webhook/../admin",
        "/webhook/%2e%2e/admin",
        "/webhook/./x",
        "/%C3%BC",
        "/webhookx",
      ]) {
        const status = await new Promise<number>((resolve, reject) => {
          const sent = httpRequest(
            { host: url.hostname, port: url.port, path, method: "POST" },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          sent.on("error", reject);
          sent.end("{}");
        });
        expect(status, path).toBe(404);
      }

      const narrow = await create({ concurrency: 1 });
      const slow = deliver(narrow, '{"slow":true}');
      // The slow delivery holds the one slot once the server counts it as active.
      for (let i = 0; i < 100; i++) {
        const m = await server.call("GET", `/http-input/servers/${narrow.server_id}/metrics`);
        if ((m.body as { active_connections: number }).active_connections === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const flooded = await deliver(narrow, "{}");
      expect(flooded.status).toBe(503);
      expect(flooded.headers.get("retry-after")).toBe("1");
      expect((await slow).status).toBe(200);
    });

    it("binds once however many starts and stops race, and ends as it says", async () => {
      const held = await occupiedPort();
      const port = held.port;
      await new Promise((resolve) => held.server.close(resolve));
      const info = await create({ port });
      const url = info.listening_url as string;
      const calls = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          server.call("POST", `/http-input/servers/${info.server_id}/${i % 2 === 0 ? "stop" : "start"}`, {
            raw: "",
          }),
        ),
      );
      expect(calls.map((call) => call.status)).toEqual(Array(8).fill(200));
      const after = (await server.call("GET", `/http-input/servers/${info.server_id}`)).body as Info;
      if (after.status === "running") expect((await deliver(after, "{}")).status).toBe(200);
      else await expect(fetch(url, { method: "POST", body: "{}" })).rejects.toThrow();
      // A final stop releases the port for good: no second listener was left behind on it.
      await server.call("POST", `/http-input/servers/${info.server_id}/stop`, { raw: "" });
      await expect(fetch(url, { method: "POST", body: "{}" })).rejects.toThrow();
    });

    it("audits each delivery when audit_enabled, and not otherwise", async () => {
      const audited = await create({});
      const quiet = await create({ audit_enabled: false });
      await deliver(audited, '{"audit":"me"}');
      await deliver(quiet, '{"audit":"not me"}');
      const entries = async (server_id: string) => {
        const page = await server.call(
          "GET",
          `/audit?action=httpInputDelivery&actor=http-input:${server_id}`,
        );
        expect(page.status, page.text).toBe(200);
        return (
          page.body as { entries: { outcome: string; target_id: string; details: Record<string, unknown> }[] }
        ).entries;
      };
      const [entry, ...rest] = await entries(audited.server_id);
      expect(rest).toHaveLength(0);
      expect(entry).toMatchObject({
        outcome: "success",
        details: { server_id: audited.server_id, path: "/webhook" },
      });
      expect(await entries(quiet.server_id)).toHaveLength(0);
    });

    it("refuses configs that name unknown agents or impossible values, naming the field", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ agent_id: "ghost" }, "body.config.agent_id"],
        [{ port: 70000 }, "body.config.port"],
        [{ port: 1.5 }, "body.config.port"],
        [{ path: "no-slash" }, "body.config.path"],
        [
          {
            routing_rules: [
              {
                condition_type: "header_equals",
                condition_value: "x",
                condition_target: null,
                agent_id: "triage",
              },
            ],
          },
          "condition_target",
        ],
        [
          {
            routing_rules: [
              {
                condition_type: "path_prefix",
                condition_value: "/",
                condition_target: null,
                agent_id: "ghost",
              },
            ],
          },
          "routing_rules.0.agent_id",
        ],
        [{ response_control: { default_status: 99 } }, "default_status"],
      ];
      for (const [config, field] of cases) {
        const response = await server.call("POST", "/http-input/servers", {
          body: { config: { bind_address: "127.0.0.1", port: 0, agent_id: "triage", ...config } },
        });
        expect(response.status, JSON.stringify(config)).toBe(400);
        expect(response.text).toContain(field);
      }
    });
  });

  describe.skipIf(!target.available)(`HTTP input servers across a restart on ${target.name}`, () => {
    it("brings back the servers that were running, and not the stopped ones", async () => {
      const model = await startOpenAiServer(() => ({ text: "back" }));
      const database = await target.create();
      try {
        let server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
        await server.call("POST", "/agents", { body: sampleAgent("triage", { tools: [] }) });
        const created = async () => {
          const response = await server.call("POST", "/http-input/servers", {
            body: { config: { bind_address: "127.0.0.1", port: 0, agent_id: "triage" } },
          });
          return response.body as Info;
        };
        const running = await created();
        const stopped = await created();
        await server.call("POST", `/http-input/servers/${stopped.server_id}/stop`, { raw: "" });
        await server.close();
        // Shutdown released the port.
        await expect(
          fetch(running.listening_url as string, { method: "POST", body: "{}" }),
        ).rejects.toThrow();

        server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
        try {
          const back = (await server.call("GET", `/http-input/servers/${running.server_id}`)).body as Info;
          expect(back.status).toBe("running");
          const answer = await fetch(back.listening_url as string, { method: "POST", body: "{}" });
          expect(answer.status).toBe(200);
          expect(await answer.json()).toEqual({ output: "back" });
          expect(
            ((await server.call("GET", `/http-input/servers/${stopped.server_id}`)).body as Info).status,
          ).toBe("stopped");
          const list = (await server.call("GET", "/http-input/servers")).body as Info[];
          expect(list.map((s) => s.server_id).sort()).toEqual([running.server_id, stopped.server_id].sort());
        } finally {
          await server.close();
        }
      } finally {
        await database.dispose();
        await model.close();
      }
    });
  });
}
