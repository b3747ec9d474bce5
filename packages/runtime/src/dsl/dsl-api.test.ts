import { readFileSync } from "node:fs";
import { AgentDefinition, DslCompileResponse, ErrorBody } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../dsl/test-fixtures/${name}`, import.meta.url), "utf8");
const README_EXAMPLE = fixture("readme-webhook-handler.symbi");

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`POST /dsl/compile on ${target.name}`, () => {
    const server = useTestRuntime(target);
    const compileDsl = (body: unknown, headers?: Record<string, string>) =>
      server.call("POST", "/dsl/compile", { body, ...(headers ? { headers } : {}) });

    it("compiles the README example and registers webhook_handler", async () => {
      const response = await compileDsl({
        dsl_content: README_EXAMPLE,
        agent_name: "webhook_handler",
        validate_only: false,
      });
      expect(response.status).toBe(200);
      const body = DslCompileResponse.parse(response.body);
      expect(body).toMatchObject({
        success: true,
        agent_id: "webhook_handler",
        errors: [],
        registration: "created",
      });
      // The source names no model, temperature, …: the defaults are applied and said.
      expect(body.warnings).toContain(
        "warning[W0006]: agent webhook_handler sets no 'model'; registered with \"llama3.2\"",
      );
      const definition = AgentDefinition.parse(
        (await server.call("GET", "/agents/webhook_handler/definition")).body,
      );
      expect(definition).toMatchObject({
        id: "webhook_handler",
        name: "Webhook Handler",
        description: "Handles incoming webhooks",
        model: "llama3.2",
        state: "idle",
      });
      expect(body.definition?.agents[0]?.triggers).toEqual([
        { kind: "trigger", name: "github_webhook", settings: { on_push: "main" } },
      ]);
    });

    it("updates the agent when compiled again, bumping its version", async () => {
      const source = 'agent updater {\n    name: "First"\n    model: "m1"\n}\n';
      await compileDsl({ dsl_content: source, agent_name: "updater", validate_only: false });
      const again = await compileDsl({
        dsl_content: source.replace("First", "Second").replace("m1", "m2"),
        agent_name: "updater",
        validate_only: false,
      });
      expect(again.body).toMatchObject({ success: true, registration: "updated", agent_id: "updater" });
      const definition = AgentDefinition.parse((await server.call("GET", "/agents/updater/definition")).body);
      expect(definition).toMatchObject({ name: "Second", model: "m2", version: 2 });
    });

    it("validates without registering when validate_only is true", async () => {
      const response = await compileDsl({
        dsl_content: 'agent dry {\n    model: "x"\n}\n',
        agent_name: "dry",
        validate_only: true,
      });
      expect(response.body).toMatchObject({ success: true, agent_id: null, registration: null });
      expect((await server.call("GET", "/agents/dry")).status).toBe(404);
    });

    it("answers 200 with success false and positioned errors for broken source, and registers nothing", async () => {
      const response = await compileDsl({
        dsl_content: 'agent broken {\n    policy p {\n        allow ["read"]\n    }\n    model: ???\n}\n',
        agent_name: "broken",
        validate_only: false,
      });
      expect(response.status).toBe(200);
      const body = DslCompileResponse.parse(response.body);
      expect(body.success).toBe(false);
      expect(body.agent_id).toBeNull();
      expect(body.errors).toEqual([
        "3:15: error[E1001]: expected ':' after 'allow', found '['",
        "5:12: error[E1001]: expected an expression, found '?'",
      ]);
      expect(body.diagnostics[0]).toMatchObject({ line: 3, column: 15, code: "E1001", expected: ["':'"] });
      expect((await server.call("GET", "/agents/broken")).status).toBe(404);
    });

    it("reports warnings alongside success", async () => {
      const response = await compileDsl({
        dsl_content: 'metadata {\n    verison = "1"\n}\n\nagent warned {\n    model: "x"\n}\n',
        agent_name: "warned",
        validate_only: true,
      });
      expect(response.body).toMatchObject({
        success: true,
        warnings: ["2:5: warning[W0001]: unknown metadata key 'verison'"],
      });
    });

    it("picks the agent named agent_name, or the only one, and says when it cannot", async () => {
      const two = 'agent a {\n    model: "x"\n}\n\nagent b {\n    model: "y"\n}\n';
      const picked = await compileDsl({ dsl_content: two, agent_name: "b", validate_only: false });
      expect(picked.body).toMatchObject({ success: true, agent_id: "b" });
      const none = await compileDsl({ dsl_content: two, agent_name: "c", validate_only: false });
      expect(none.body).toMatchObject({ success: false, agent_id: null });
      expect((none.body as { errors: string[] }).errors[0]).toMatch(
        /several agents \(a, b\) and none is named 'c'/,
      );
      const only = await compileDsl({
        dsl_content: 'agent inner {\n    model: "x"\n}\n',
        agent_name: "renamed",
        validate_only: false,
      });
      expect(only.body).toMatchObject({ success: true, agent_id: "renamed" });
      const empty = await compileDsl({
        dsl_content: "# nothing\n",
        agent_name: "nothing",
        validate_only: false,
      });
      expect((empty.body as { errors: string[] }).errors).toEqual([
        "error[E2007]: the source defines no agent to register",
      ]);
    });

    it("refuses source values that do not fit an agent record, as compile errors", async () => {
      const response = await compileDsl({
        dsl_content: 'agent a {\n    name: "two\\nlines"\n}\n',
        agent_name: "lines",
        validate_only: false,
      });
      expect(response.body).toMatchObject({ success: false });
      expect((response.body as { errors: string[] }).errors[0]).toMatch(
        /'name' must not contain control characters/,
      );
    });

    it("answers 400 naming the field for a bad request", async () => {
      const cases: [unknown, string][] = [
        [{ agent_name: "x", validate_only: false }, "body.dsl_content"],
        [{ dsl_content: "", agent_name: "bad name!", validate_only: false }, "body.agent_name"],
        [{ dsl_content: "", agent_name: "deployments", validate_only: false }, "body.agent_name"],
        [{ dsl_content: 5, agent_name: "x" }, "body.dsl_content"],
        [{ dsl_content: "", agent_name: "x", validate_only: "yes" }, "body.validate_only"],
        [{ dsl_content: "", agent_name: "x", extra: 1 }, "body.extra"],
        [{ dsl_content: "x".repeat(1_000_001), agent_name: "x" }, "body.dsl_content"],
      ];
      for (const [body, field] of cases) {
        const response = await compileDsl(body);
        expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        const error = ErrorBody.parse(response.body);
        expect(error.code).toBe("VALIDATION_FAILED");
        expect(JSON.stringify(error.details)).toContain(field);
      }
    });

    it("answers hostile source with diagnostics, never a 5xx", async () => {
      const sources = [
        `agent a {\n    x: ${"(".repeat(50_000)}\n}`,
        `agent a {\n    x: ${Array.from({ length: 20_000 }, () => "a").join(" + ")}\n}`,
        "\u0000\ud800\uffff",
        'agent 🤖 { name: "🤖" }',
        `${"{".repeat(100_000)}`,
      ];
      for (const dsl_content of sources) {
        const response = await compileDsl({ dsl_content, agent_name: "hostile", validate_only: false });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ success: false });
      }
    });

    it("needs dsl:write to compile and agents:write as well to register", async () => {
      const readOnly = await insertApiKey(server, { permissions: ["read"] });
      const denied = await compileDsl(
        { dsl_content: README_EXAMPLE, agent_name: "perm", validate_only: true },
        { authorization: `Bearer ${readOnly.key}` },
      );
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ details: { required_permission: "dsl:write" } });

      const dslOnly = await insertApiKey(server, { permissions: ["dsl:write"] });
      const auth = { authorization: `Bearer ${dslOnly.key}` };
      const checked = await compileDsl(
        { dsl_content: README_EXAMPLE, agent_name: "perm", validate_only: true },
        auth,
      );
      expect(checked.body).toMatchObject({ success: true });
      const register = await compileDsl(
        { dsl_content: README_EXAMPLE, agent_name: "perm", validate_only: false },
        auth,
      );
      expect(register.status).toBe(403);
      expect(register.body).toMatchObject({ details: { required_permission: "agents:write" } });
      expect((await server.call("GET", "/agents/perm")).status).toBe(404);

      // The contract's coarse `write` grants both.
      const writer = await insertApiKey(server, { permissions: ["write"] });
      const written = await compileDsl(
        { dsl_content: README_EXAMPLE, agent_name: "perm", validate_only: false },
        { authorization: `Bearer ${writer.key}` },
      );
      expect(written.body).toMatchObject({ success: true, agent_id: "perm" });
    });

    it("keeps tenants apart: another tenant's compile creates its own agent", async () => {
      const other = await insertApiKey(server, { tenant: "other-tenant", permissions: ["admin"] });
      const response = await compileDsl(
        { dsl_content: README_EXAMPLE, agent_name: "webhook_handler", validate_only: false },
        { authorization: `Bearer ${other.key}` },
      );
      expect(response.body).toMatchObject({ success: true, registration: "created" });
    });
  });
}
