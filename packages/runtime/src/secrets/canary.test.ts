import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { type FakeVault, startFakeVault } from "../../../../test/support/fake-vault.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { RecordingTools } from "../../../../test/support/scripted-agents.js";
import { collectEvents } from "../../../../test/support/sse.js";

/**
 * Every way a value could show up in text: whole, in the encodings a careless path would use, and
 * as any 10-character piece of its random start (error messages quote bodies in short snippets).
 */
function disguises(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const random = value.slice(0, 24);
  const pieces = Array.from({ length: random.length - 9 }, (_, i) => random.slice(i, i + 10));
  return [value, bytes.toString("base64"), bytes.toString("base64url"), bytes.toString("hex"), ...pieces];
}

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`secret values never leak (${target.name})`, () => {
    // Random first, so that any piece of a value a message quotes is recognisable.
    const canary = `${randomBytes(12).toString("hex")}-canary`;
    const rotatedCanary = `${randomBytes(12).toString("hex")}-rotated`;
    const vaultCanary = `${randomBytes(12).toString("hex")}-vaulted`;
    const logLines: string[] = [];
    const responses: string[] = [];
    let database: FreshDatabase;
    let server: TestRuntime;
    let vault: FakeVault;
    const tools = new RecordingTools();

    beforeAll(async () => {
      database = await target.create();
      vault = await startFakeVault();
      const logStream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          done();
        },
      });
      // The most verbose level: whatever any code path logs, this test sees.
      server = await startTestRuntime(database, { logLevel: "trace" }, { logStream, toolProviders: [tools] });
    });
    afterAll(async () => {
      await server?.close();
      await vault?.close();
      await database?.dispose();
    });

    // Names (agent ids, secret names, references) are not secret and may be logged; values never.
    const call = async (...args: Parameters<TestRuntime["call"]>) => {
      const response = await server.call(...args);
      responses.push(`${response.status} ${[...response.headers].join(" ")} ${response.text}`);
      return response;
    };
    const secretBody = (name: string, value: unknown, agent = "canary-agent") => ({
      agent_id: agent,
      secret_name: name,
      secret_value: value,
      description: null,
    });

    it("exercises every secret feature, failures included, and finds the values in no log line or answer", async () => {
      // Happy paths, which must answer the value only where a value is asked for.
      expect((await call("POST", "/secrets", { body: secretBody("CANARY", canary) })).status).toBe(200);
      const read = await call("GET", "/secrets/canary-agent/CANARY");
      expect((read.body as { value: string }).value).toBe(canary);
      responses.pop(); // the one answer that must hold the value
      await call("GET", "/secrets/canary-agent");
      await call("GET", "/secrets/canary-agent/CANARY/versions");
      await call("POST", "/secrets/canary-agent/CANARY/rotate", {
        body: { value: rotatedCanary, grace_seconds: 60 },
      });
      expect((await call("GET", "/secrets/canary-agent/CANARY/versions/1")).status).toBe(200);
      responses.pop();
      await call("POST", "/secrets/canary-agent/CANARY/rollback", { body: { version: 1 } });
      await call("POST", "/secrets", { body: secretBody("CANARY", canary, "*") });

      // Client mistakes with the value in the request.
      await call("POST", "/secrets", {
        raw: `{"agent_id":"a","secret_name":"N","secret_value": x${canary}}`,
        headers: { "content-type": "application/json" },
      });
      await call("POST", "/secrets", {
        raw: `{"secret_value":"${canary}"`,
        headers: { "content-type": "application/json" },
      });
      await call("POST", "/secrets", { body: secretBody("bad/name", canary) });
      await call("POST", "/secrets", { body: secretBody("N", `${canary}\u0000`) });
      await call("POST", "/secrets", { body: secretBody("N", `${canary}${"x".repeat(70_000)}`) });
      await call("POST", "/secrets", { body: secretBody("N", `${canary}${"x".repeat(2_000_000)}`) });
      await call("POST", "/secrets", { body: { ...secretBody("N", canary), extra: canary } });
      await call("POST", "/secrets", { body: secretBody("bad name", canary, "bad agent") });
      await call("POST", "/secrets", {
        body: secretBody("N", canary),
        headers: { "content-type": "text/plain" },
      });
      await call("POST", "/secrets/canary-agent/CANARY/rotate", {
        body: { value: canary, grace_seconds: "soon" },
      });
      await call("POST", "/secrets/canary-agent/NOPE/rotate", { body: { value: canary } });
      await call("GET", "/secrets/canary-agent/NOT_THERE");
      await call("GET", "/secrets/canary-agent/CANARY/versions/999");

      // Denied and foreign callers.
      const lister = await insertApiKey(server, { permissions: ["secrets:list"] });
      const stranger = await insertApiKey(server, { tenant: "elsewhere", permissions: ["admin"] });
      await call("GET", "/secrets/canary-agent/CANARY", {
        headers: { authorization: `Bearer ${lister.key}` },
      });
      await call("GET", "/secrets/canary-agent/CANARY", {
        headers: { authorization: `Bearer ${stranger.key}` },
      });
      await call("POST", "/secrets", {
        body: secretBody("CANARY", canary),
        headers: { authorization: "Bearer nope" },
      });
      await call("GET", "/secrets/canary-agent/CANARY", { headers: { authorization: `Bearer ${canary}` } });

      // Backends: a Vault holding a value, then failing; a keychain that does not exist here.
      const vaultToken = vault.issueToken(3600);
      const vaultConfig = {
        url: vault.url,
        auth_method: "token",
        token: vaultToken,
        role_id: null,
        secret_id: null,
        kubernetes_role: null,
        aws_role: null,
      };
      await call("POST", "/secrets/config", {
        body: {
          backend_type: "vault",
          vault_config: { ...vaultConfig, token: canary },
          file_path: null,
          encryption_key: null,
        },
      });
      await call("POST", "/secrets/config", {
        body: { backend_type: "vault", vault_config: vaultConfig, file_path: null, encryption_key: null },
      });
      await call("POST", "/secrets", { body: secretBody("VAULTED", vaultCanary) });
      expect((await call("GET", "/secrets/canary-agent/VAULTED")).status).toBe(200);
      responses.pop();
      vault.sealed = true;
      await call("GET", "/secrets/canary-agent/VAULTED");
      await call("POST", "/secrets", { body: secretBody("VAULTED", canary) });
      await call("DELETE", "/secrets/canary-agent/VAULTED");
      vault.sealed = false;
      await call("POST", "/secrets/config", {
        body: { backend_type: "os_keychain", vault_config: null, file_path: null, encryption_key: canary },
      });
      await call("POST", "/secrets/config", {
        body: { backend_type: "os_keychain", vault_config: null, file_path: null, encryption_key: null },
      });
      await call("POST", "/secrets/config", {
        body: { backend_type: "encrypted_file", vault_config: null, file_path: canary, encryption_key: null },
      });

      // References resolved for use, and failing.
      const use = { tenantId: "default", agentId: "canary-agent", purpose: "canary" };
      expect(await server.runtime.secrets.resolve("secret://CANARY", use)).toBe(canary);
      const failures = await Promise.all(
        ["secret://MISSING", "vault://secret/none#k", "vault://secret/x/../y#k", "secret://bad name"].map(
          (ref) => server.runtime.secrets.resolve(ref, use).catch((error: Error) => error.message),
        ),
      );
      for (const message of failures) responses.push(String(message));

      // Workflow parameters holding references: resolved in the tool call only, stored and shown as references.
      await call("POST", "/agents", { body: sampleAgent("canary-agent", { tools: ["deploy"] }) });
      await call("POST", "/policies", {
        body: { name: "all", policy: "permit(principal, action, resource);" },
      });
      await call("POST", "/workflow-definitions", {
        body: {
          name: "uses-secret",
          parameters: { token: { type: "string", required: true } },
          steps: [
            {
              id: "use",
              type: "tool",
              tool: "deploy",
              arguments: { raw: "{{ params.token }}", header: "Bearer {{ params.token }}" },
            },
          ],
        },
      });
      await call("POST", "/workflow-definitions", {
        body: {
          name: "tells-model",
          parameters: { token: { type: "string" } },
          steps: [{ id: "leak", type: "agent", input: "the token is {{ params.token }}" }],
        },
      });
      const stream = collectEvents(
        `${server.api}/events`,
        { authorization: `Bearer ${TEST_API_KEY}` },
        {
          timeoutMs: 3_000,
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const used = await call("POST", "/workflows", {
        body: {
          workflow_id: "uses-secret",
          parameters: { token: "secret://CANARY" },
          agent_id: "canary-agent",
        },
      });
      expect((used.body as { status: string }).status, used.text).toBe("succeeded");
      expect(tools.calls.at(-1)?.args).toEqual({ raw: canary, header: `Bearer ${canary}` });
      const executionId = (used.body as { execution_id: string }).execution_id;
      const shown = await call("GET", `/workflow-executions/${executionId}`);
      expect(shown.text).toContain("secret://CANARY");
      const refused = await call("POST", "/workflows", {
        body: {
          workflow_id: "tells-model",
          parameters: { token: "secret://CANARY" },
          agent_id: "canary-agent",
        },
      });
      expect((refused.body as { status: string }).status).toBe("failed");
      await call("GET", `/workflow-executions/${(refused.body as { execution_id: string }).execution_id}`);
      await call("POST", "/workflows", {
        body: {
          workflow_id: "uses-secret",
          parameters: { token: "secret://MISSING" },
          agent_id: "canary-agent",
        },
      });
      await call("GET", "/workflow-executions");
      for (const event of (await stream).events) responses.push(JSON.stringify(event));

      // Tampered ciphertext: the fault is logged at error level.
      await server.runtime.store.db
        .updateTable("secret_versions")
        .set({ sealed: "v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA" })
        .where("agent_id", "=", "*")
        .where("name", "=", "CANARY")
        .execute();
      expect((await call("GET", "/secrets/*/CANARY")).status).toBe(500);

      // What an operator or a tenant looks at afterwards.
      await call("GET", "/audit?limit=500");
      await call("GET", "/metrics");
      expect((await call("GET", "/openapi.json")).status).toBe(200);
      await call("DELETE", "/secrets/canary-agent/CANARY");

      expect(logLines.length).toBeGreaterThan(20);
      expect(responses.length).toBeGreaterThan(40);
      for (const value of [canary, rotatedCanary, vaultCanary, vaultToken]) {
        for (const disguise of disguises(value)) {
          const inLogs = logLines.filter((line) => line.includes(disguise));
          const inAnswers = responses.filter((text) => text.includes(disguise));
          expect(inLogs, `log lines holding ${disguise}`).toEqual([]);
          expect(inAnswers, `answers holding ${disguise}`).toEqual([]);
        }
      }
      // And the database holds ciphertext only.
      const rows = await server.runtime.store.db.selectFrom("secret_versions").selectAll().execute();
      const backends = await server.runtime.store.db.selectFrom("secret_backends").selectAll().execute();
      const audit = await server.runtime.store.db.selectFrom("audit_log").selectAll().execute();
      const executions = await server.runtime.store.db
        .selectFrom("workflow_executions")
        .selectAll()
        .execute();
      const steps = await server.runtime.store.db.selectFrom("workflow_steps").selectAll().execute();
      const stored = JSON.stringify([rows, backends, audit, executions, steps]);
      for (const value of [canary, rotatedCanary, vaultCanary, vaultToken])
        expect(stored).not.toContain(value);
    });
  });
}
