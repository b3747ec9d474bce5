import { createHmac, randomUUID } from "node:crypto";
import type { DslCompileResponse, HttpEndpointInfo } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { type ModelServer, startOpenAiServer } from "../../../../test/support/model-servers.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

const HOOK_SECRET = "gh-hook-secret-for-the-dsl-test";
const echoModel = (request: { input: string }) => ({ text: `got ${request.input.length} characters` });

const source = (path: string, extra = "") => `agent triage {
    model: "llama3.2"
}

webhook github_issues {
    path     "${path}"
    provider github
    secret   "secret://GH_HOOK"
    agent    triage
    filter {
        json_path "$.action"
        equals    "opened"
    }${extra}
}
`;

const sign = (body: string) => `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`;

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`.symbi webhooks registered as endpoints on ${target.name}`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    const register = (text: string, headers?: Record<string, string>) =>
      server.call("POST", "/dsl/compile", {
        body: { dsl_content: text, agent_name: "triage", validate_only: false },
        ...(headers ? { headers } : {}),
      });
    const deliver = (path: string, body: string, headers: Record<string, string>) =>
      fetch(`${server.runtime.url}/hooks${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const endpoints = async () => (await server.call("GET", "/endpoints")).body as HttpEndpointInfo[];

    beforeAll(async () => {
      model = await startOpenAiServer(echoModel);
      database = await target.create();
      server = await startTestRuntime(database, { ollamaBaseUrl: model.url, scheduler: false });
      const secret = await server.call("POST", "/secrets", {
        body: { agent_id: "*", secret_name: "GH_HOOK", secret_value: HOOK_SECRET },
      });
      expect(secret.status, secret.text).toBeLessThan(300);
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    it("serves the webhook at once: signed deliveries that pass the filter run the agent, others do not", async () => {
      const response = await register(source("/dsl/github"));
      const result = response.body as DslCompileResponse;
      expect(result, response.text).toMatchObject({ success: true, agent_id: "triage" });
      expect(result.stored?.endpoints).toHaveLength(1);
      const [endpoint] = await endpoints();
      expect(endpoint).toMatchObject({
        path: "/dsl/github",
        method: "POST",
        agent_id: "triage",
        auth_required: false,
        metadata: { webhook: "github_issues", origin: "dsl:triage" },
      });

      const opened = JSON.stringify({ action: "opened", issue: { title: "Disk full ⚠" } });
      const headers = { "x-hub-signature-256": sign(opened), "x-github-delivery": randomUUID() };
      const accepted = await deliver("/dsl/github", opened, headers);
      expect(accepted.status, await accepted.clone().text()).toBe(200);
      const { run_id: runId } = (await accepted.json()) as { run_id: string };
      expect((await server.call("GET", `/runs/${runId}`)).body).toMatchObject({ agent_id: "triage" });

      expect((await deliver("/dsl/github", opened, headers)).status).toBe(401);
      const forged = await deliver("/dsl/github", opened.replace("Disk", "Fake"), {
        ...headers,
        "x-github-delivery": randomUUID(),
      });
      expect(forged.status).toBe(401);
      const closed = JSON.stringify({ action: "closed" });
      const ignored = await deliver("/dsl/github", closed, {
        "x-hub-signature-256": sign(closed),
        "x-github-delivery": randomUUID(),
      });
      expect(ignored.status).toBe(200);
      expect(await ignored.json()).toMatchObject({ status: "ignored" });
      const runs = (await server.call("GET", "/agents/triage/runs")).body as { items: unknown[] };
      expect(runs.items).toHaveLength(1);
    });

    it("replaces its own endpoint when registered again and refuses a path someone else serves", async () => {
      const moved = await register(source("/dsl/github-v2"));
      expect((moved.body as DslCompileResponse).success, moved.text).toBe(true);
      expect((await endpoints()).map((e) => e.path)).toEqual(["/dsl/github-v2"]);
      expect((await deliver("/dsl/github", "{}", {})).status).toBe(404);

      const byHand = await server.call("POST", "/endpoints", {
        body: { path: "/taken", method: "POST", agent_id: "triage" },
      });
      expect(byHand.status, byHand.text).toBe(200);
      const refused = await register(source("/taken"));
      const result = refused.body as DslCompileResponse;
      expect(result.success).toBe(false);
      expect(result.errors.join("\n")).toMatch(/POST \/taken is served by endpoint .* did not make/);
      // Nothing changed: the registration's endpoint is still the previous one.
      expect((await endpoints()).map((e) => e.path).sort()).toEqual(["/dsl/github-v2", "/taken"]);
    });

    it("refuses what endpoints cannot enforce, and needs endpoints:write before writing anything", async () => {
      const contains = await register(
        source("/dsl/contains").replace('equals    "opened"', 'contains  "open"'),
      );
      expect((contains.body as DslCompileResponse).errors.join("\n")).toMatch(
        /E2009.*'contains' cannot be enforced/,
      );
      const limited = await insertApiKey(server, { permissions: ["dsl:write", "agents:write"] });
      const denied = await server.call("POST", "/dsl/compile", {
        body: { dsl_content: source("/dsl/other").replaceAll("triage", "triage2"), agent_name: "triage2" },
        headers: { authorization: `Bearer ${limited.key}` },
      });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ details: { required_permission: "endpoints:write" } });
      expect((await server.call("GET", "/agents/triage2")).status).toBe(404);
    });
  });
}
