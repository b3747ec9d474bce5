import { describe, expect, it } from "vitest";
import { z } from "zod";
import { databaseTargets } from "../support/databases.js";
import { pythonCall } from "../support/python-call.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

/*
 * The v1 Python client's view: requests go out as the Python SDK 0.3.x sends them (pythonCall), and
 * replies are parsed with that client's rules (../shared/contract/api-v1.md §2): required fields
 * present and non-null, ints integral, enums exact.
 */

// The client's models, written from the contract rather than imported, so a drift in our schemas shows.
const datetime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "RFC 3339 datetime");
const int = z.number().int();
const HealthResponse = z.object({
  status: z.string(),
  uptime_seconds: int,
  timestamp: datetime,
  version: z.string(),
});
const SystemMetrics = z.object({
  uptime_seconds: int,
  memory_usage_bytes: int,
  memory_usage_percent: z.number(),
  cpu_usage_percent: z.number(),
  disk_usage_bytes: int,
  disk_usage_percent: z.number(),
  active_agents: int,
  total_agents: int,
  secrets_count: int,
  mcp_connections: int,
  vector_db_items: int,
});
const AgentState = z.enum(["idle", "active", "busy", "error", "stopped"]);
const AgentStatusResponse = z.object({
  agent_id: z.string(),
  state: AgentState,
  last_activity: datetime,
  resource_usage: z.object({ memory_bytes: int, cpu_percent: z.number(), active_tasks: int }),
});
const AgentMetrics = z.object({
  agent_id: z.string(),
  tasks_completed: int,
  tasks_failed: int,
  average_response_time_ms: z.number(),
  memory_usage_bytes: int,
  cpu_usage_percent: z.number(),
  last_activity: datetime,
  uptime_seconds: int,
});

const agent = {
  id: "py-agent-1",
  name: "Python Agent",
  description: "Created the way the Python SDK creates agents",
  system_prompt: "You are a helpful assistant.",
  tools: ["web_search", "calculator"],
  model: "gpt-4",
  temperature: 0.7,
  top_p: 1.0,
  max_tokens: 2048,
};

const SecretResponse = z.object({
  secret_name: z.string(),
  agent_id: z.string(),
  created_at: datetime,
  updated_at: datetime.nullish(),
});
const SecretListResponse = z.object({ secrets: z.array(z.string()), agent_id: z.string() });
const DslCompileResponse = z.object({
  success: z.boolean(),
  agent_id: z.string().nullish(),
  // Defaulted fields may be omitted but never null.
  errors: z.array(z.string()).optional(),
  warnings: z.array(z.string()).optional(),
  compiled_at: datetime,
});

/** The product README's example, character for character (its blank lines hold four spaces). */
const README_DSL = [
  "agent webhook_handler {",
  '    name: "Webhook Handler"',
  '    description: "Handles incoming webhooks"',
  "    ",
  "    trigger github_webhook {",
  "        on_push: main",
  "    }",
  "    ",
  "    action process_webhook {",
  "        validate_signature()",
  "        parse_payload()",
  "        trigger_workflow()",
  "    }",
  "}",
  "",
].join("\n");

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(
    `the v1 contract as the Python 0.3.x client uses it, on ${target.name}`,
    () => {
      const server = useTestRuntime(target);

      it("health_check parses, with or without a token", async () => {
        for (const token of [TEST_API_KEY, null]) {
          const response = await pythonCall(server.api, "GET", "/health", undefined, token);
          expect(response.status).toBe(200);
          expect(response.contentType).toContain("application/json");
          HealthResponse.parse(JSON.parse(response.text));
        }
      });

      it("create_agent, list_agents, get_agent_status and get_agent_metrics round-trip", async () => {
        const created = await pythonCall(server.api, "POST", "/agents", agent);
        expect(created.status).toBeGreaterThanOrEqual(200);
        expect(created.status).toBeLessThan(300);
        expect(JSON.parse(created.text)).toMatchObject({
          id: agent.id,
          agent_id: agent.id,
          status: "created",
          state: "idle",
        });

        const listed = JSON.parse((await pythonCall(server.api, "GET", "/agents")).text) as unknown;
        expect(z.array(z.string()).parse(listed)).toContain(agent.id);

        const status = AgentStatusResponse.parse(
          JSON.parse((await pythonCall(server.api, "GET", `/agents/${agent.id}`)).text),
        );
        expect(status).toMatchObject({ agent_id: agent.id, state: "idle" });

        const metrics = AgentMetrics.parse(
          JSON.parse((await pythonCall(server.api, "GET", `/agents/${agent.id}/metrics`)).text),
        );
        expect(metrics.agent_id).toBe(agent.id);
      });

      it("get_metrics parses as the flat SystemMetrics", async () => {
        const metrics = SystemMetrics.parse(
          JSON.parse((await pythonCall(server.api, "GET", "/metrics")).text),
        );
        expect(metrics.total_agents).toBeGreaterThanOrEqual(1);
      });

      it("maps errors to the client's classes by status: 404, 409, 401 without 'expired'", async () => {
        expect((await pythonCall(server.api, "GET", "/agents/nobody")).status).toBe(404);
        expect((await pythonCall(server.api, "GET", "/agents/nobody/metrics")).status).toBe(404);
        expect((await pythonCall(server.api, "POST", "/agents", agent)).status).toBe(409);
        const unauthenticated = await pythonCall(server.api, "GET", "/agents", undefined, null);
        expect(unauthenticated.status).toBe(401);
        expect(unauthenticated.text.toLowerCase()).not.toContain("expired");
        const bad = await pythonCall(server.api, "GET", "/agents", undefined, "not-a-key");
        expect(bad.status).toBe(401);
      });

      it("never redirects, and keeps literal reserved segments out of agent ids", async () => {
        const trailing = await pythonCall(server.api, "GET", "/agents/");
        expect(trailing.status).toBeGreaterThanOrEqual(400);
        expect(trailing.status).toBeLessThan(500);
        const reserved = await pythonCall(server.api, "POST", "/agents", { ...agent, id: "deploy" });
        expect(reserved.status).toBe(400);
      });

      it("configure_secret_backend, store_secret, get_secret, list_secrets and delete_secret", async () => {
        const configured = await pythonCall(server.api, "POST", "/secrets/config", {
          backend_type: "encrypted_file",
          vault_config: null,
          file_path: null,
          encryption_key: null,
        });
        expect(configured.status).toBe(200);
        expect(JSON.parse(configured.text)).toMatchObject({
          status: "configured",
          backend_type: "encrypted_file",
        });

        const request = {
          agent_id: agent.id,
          secret_name: "OPENAI_KEY",
          secret_value: "sk-one",
          description: null,
        };
        const stored = SecretResponse.parse(
          JSON.parse((await pythonCall(server.api, "POST", "/secrets", request)).text),
        );
        expect(stored).toMatchObject({ secret_name: "OPENAI_KEY", agent_id: agent.id });
        const overwritten = SecretResponse.parse(
          JSON.parse(
            (
              await pythonCall(server.api, "POST", "/secrets", {
                ...request,
                secret_value: "sk-two",
                description: "d",
              })
            ).text,
          ),
        );
        expect(overwritten.updated_at).toBeTruthy();

        const got = JSON.parse(
          (await pythonCall(server.api, "GET", `/secrets/${agent.id}/OPENAI_KEY`)).text,
        ) as {
          value: unknown;
        };
        expect(got.value).toBe("sk-two");

        const listed = SecretListResponse.parse(
          JSON.parse((await pythonCall(server.api, "GET", `/secrets/${agent.id}`)).text),
        );
        expect(listed).toMatchObject({ secrets: ["OPENAI_KEY"], agent_id: agent.id });
        expect(JSON.stringify(listed)).not.toContain("sk-two");
        const unknown = SecretListResponse.parse(
          JSON.parse((await pythonCall(server.api, "GET", "/secrets/no-such-agent")).text),
        );
        expect(unknown).toEqual({ secrets: [], agent_id: "no-such-agent" });

        const deleted = await pythonCall(server.api, "DELETE", `/secrets/${agent.id}/OPENAI_KEY`);
        expect(deleted.status).toBe(200);
        expect(JSON.parse(deleted.text)).toMatchObject({
          deleted: true,
          agent_id: agent.id,
          secret_name: "OPENAI_KEY",
        });
        expect((await pythonCall(server.api, "GET", `/secrets/${agent.id}/OPENAI_KEY`)).status).toBe(404);
        expect(
          (await pythonCall(server.api, "POST", "/secrets", { ...request, secret_name: "a/b" })).status,
        ).toBe(400);
      });

      it("execute_workflow with agent_id null answers execution_id, status, started_at and result", async () => {
        // A definition of our own (the 0.3 client cannot create one); it needs no model to finish.
        const definition = await server.call("POST", "/workflow-definitions", {
          body: {
            name: "compare",
            parameters: { a: { type: "string", required: true }, b: { type: "string", required: true } },
            steps: [{ id: "gap", type: "disagreement", texts: ["{{ params.a }}", "{{ params.b }}"] }],
            output: { index: "{{ steps.gap.output.index }}" },
          },
        });
        expect(definition.status, definition.text).toBe(201);
        const WorkflowExecutionResponse = z.strictObject({
          execution_id: z.string(),
          status: z.string(),
          started_at: datetime,
          result: z.record(z.string(), z.unknown()).nullable(),
        });
        const answer = await pythonCall(server.api, "POST", "/workflows", {
          workflow_id: "compare",
          parameters: { a: "the cat sat on the mat", b: "the cat sat on the mat" },
          agent_id: null,
        });
        expect(answer.status, answer.text).toBe(200);
        const parsed = WorkflowExecutionResponse.parse(answer.json());
        expect(parsed.status).toBe("succeeded");
        expect(parsed.result).toEqual({ index: 0 });
        const missing = await pythonCall(server.api, "POST", "/workflows", {
          workflow_id: "no-such-workflow",
          parameters: {},
          agent_id: null,
        });
        expect(missing.status).toBe(404);
      });

      it("compile_dsl compiles the README example and registers the agent it names", async () => {
        const validated = await pythonCall(server.api, "POST", "/dsl/compile", {
          dsl_content: README_DSL,
          agent_name: "webhook_handler",
          validate_only: true,
        });
        expect(validated.status).toBe(200);
        expect(DslCompileResponse.parse(JSON.parse(validated.text))).toMatchObject({
          success: true,
          errors: [],
        });

        const compiled = await pythonCall(server.api, "POST", "/dsl/compile", {
          dsl_content: README_DSL,
          agent_name: "webhook_handler",
          validate_only: false,
        });
        expect(compiled.status).toBe(200);
        const body = DslCompileResponse.parse(JSON.parse(compiled.text));
        expect(body).toMatchObject({ success: true, agent_id: "webhook_handler" });
        const status = AgentStatusResponse.parse(
          JSON.parse((await pythonCall(server.api, "GET", `/agents/${body.agent_id}`)).text),
        );
        expect(status).toMatchObject({ agent_id: "webhook_handler", state: "idle" });
      });

      it("compile_dsl answers syntax errors with 200, success false and the errors filled", async () => {
        const broken = await pythonCall(server.api, "POST", "/dsl/compile", {
          dsl_content: 'agent oops {\n    name: "unterminated\n}\n',
          agent_name: "oops",
          validate_only: false,
        });
        expect(broken.status).toBe(200);
        const body = DslCompileResponse.parse(JSON.parse(broken.text));
        expect(body.success).toBe(false);
        expect(body.errors?.[0]).toMatch(/^2:11: error\[E0002\]: unterminated string/);
        expect((await pythonCall(server.api, "GET", "/agents/oops")).status).toBe(404);
      });
    },
  );
}

// §4.2 tool review and MCP models, from the contract.
const FindingSeverity = z.enum(["low", "medium", "high", "critical"]);
const FindingCategory = z.enum([
  "schema_injection",
  "privilege_escalation",
  "data_exposure",
  "malicious_code",
  "resource_abuse",
]);
const ReviewStatus = z.enum([
  "submitted",
  "pending_analysis",
  "analyzing",
  "pending_review",
  "under_review",
  "approved",
  "rejected",
  "signed",
]);
const SecurityFinding = z.object({
  finding_id: z.string(),
  severity: FindingSeverity,
  category: FindingCategory,
  title: z.string(),
  description: z.string(),
  confidence: z.number().min(0).max(1),
  recommendation: z.string().nullish(),
});
const ToolOut = z.object({
  name: z.string(),
  description: z.string(),
  schema: z.object({
    type: z.string().optional(),
    properties: z.record(z.string(), z.unknown()),
    required: z.array(z.string()).optional(),
  }),
  provider: z.object({ name: z.string(), public_key_url: z.string().nullish() }),
});
const ReviewSession = z.object({
  review_id: z.string(),
  tool: ToolOut,
  status: ReviewStatus,
  state: z.object({
    type: z.string(),
    analysis_id: z.string().nullish(),
    analysis_completed_at: datetime.nullish(),
    critical_findings: z.array(SecurityFinding).optional(),
    human_reviewer_id: z.string().nullish(),
    review_started_at: datetime.nullish(),
  }),
  submitted_by: z.string(),
  submitted_at: datetime,
  estimated_completion: datetime.nullish(),
  priority: z.string().optional(),
});
const AnalysisResults = z.object({
  analysis_id: z.string(),
  risk_score: int.min(0).max(100),
  findings: z.array(SecurityFinding),
  recommendations: z.array(z.string()).optional(),
  completed_at: datetime,
});
const McpConnectionInfo = z.object({
  server_name: z.string(),
  status: z.enum(["connected", "disconnected", "connecting", "error"]),
  pid: int.nullish(),
  connected_at: datetime.nullish(),
  last_error: z.string().nullish(),
  tools_count: int.optional(),
  resources_count: int.optional(),
});
const McpToolInfo = z.object({
  name: z.string(),
  description: z.string(),
  server_name: z.string(),
  schema: z.record(z.string(), z.unknown()),
  verified: z.boolean().optional(),
  verification_hash: z.string().nullish(),
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the v1 tool review and MCP contract, on ${target.name}`, () => {
    const server = useTestRuntime(target);
    const parse = (text: string) => JSON.parse(text) as unknown;

    it("submit_tool_for_review, get, list, analysis, decision, sign and get_signed_tool", async () => {
      const tool = {
        name: "calculator",
        description: "Adds two numbers",
        tool_schema: {
          type: "object",
          properties: { a: { type: "number" }, b: { type: "number" } },
          required: ["a", "b"],
        },
        provider: { name: "math-co", public_key_url: null },
      };
      const submitted = await pythonCall(server.api, "POST", "/tool-review/sessions", {
        tool,
        submitted_by: "py",
        priority: "normal",
      });
      expect(submitted.status).toBe(200);
      const response = z
        .object({ review_id: z.string(), status: ReviewStatus, submitted_at: datetime })
        .parse(parse(submitted.text));
      let session = ReviewSession.parse(
        parse((await pythonCall(server.api, "GET", `/tool-review/sessions/${response.review_id}`)).text),
      );
      for (let i = 0; i < 200 && session.status !== "pending_review"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        session = ReviewSession.parse(
          parse((await pythonCall(server.api, "GET", `/tool-review/sessions/${response.review_id}`)).text),
        );
      }
      expect(session.status).toBe("pending_review");
      expect(session.tool.schema.properties).toEqual(tool.tool_schema.properties);
      const list = z
        .object({ sessions: z.array(ReviewSession), pagination: z.record(z.string(), z.unknown()) })
        .parse(
          parse(
            (
              await pythonCall(
                server.api,
                "GET",
                "/tool-review/sessions?page=1&limit=20&status=pending_review&author=py",
              )
            ).text,
          ),
        );
      expect(list.sessions.map((s) => s.review_id)).toContain(response.review_id);
      AnalysisResults.parse(
        parse(
          (await pythonCall(server.api, "GET", `/tool-review/analysis/${session.state.analysis_id}`)).text,
        ),
      );
      const decision = await pythonCall(
        server.api,
        "POST",
        `/tool-review/sessions/${response.review_id}/decisions`,
        {
          decision: "approve",
          comments: null,
          reviewer_id: "py-reviewer",
        },
      );
      expect(decision.status).toBe(200);
      expect(parse(decision.text)).toMatchObject({ status: "approved" });
      const signing = z
        .object({
          signature: z.string(),
          signed_at: datetime,
          signer_id: z.string(),
          signature_algorithm: z.string(),
        })
        .parse(
          parse(
            (
              await pythonCall(server.api, "POST", "/tool-review/sign", {
                review_id: response.review_id,
                signing_key_id: "default",
              })
            ).text,
          ),
        );
      const signed = z
        .object({
          tool: ToolOut,
          signature: z.string(),
          signed_at: datetime,
          signer_id: z.string(),
          signature_algorithm: z.string(),
          review_id: z.string(),
        })
        .parse(
          parse((await pythonCall(server.api, "GET", `/tool-review/signed/${response.review_id}`)).text),
        );
      expect(signed.signature).toBe(signing.signature);
      expect(JSON.stringify(signed)).not.toContain("tool_schema");
      expect((await pythonCall(server.api, "GET", "/tool-review/signed/unknown-review")).status).toBe(404);
    });

    it("add, list, get, connect, disconnect and the bare arrays of tools and resources", async () => {
      const added = await pythonCall(server.api, "POST", "/mcp/servers", {
        name: "py-memory",
        command: [process.execPath, "-e", "setInterval(() => {}, 1000)"],
        env: {},
        cwd: null,
        timeout_seconds: 2,
      });
      expect(added.status).toBe(200);
      expect(parse(added.text)).toEqual({ server_name: "py-memory", status: "disconnected" });
      expect(
        (
          await pythonCall(server.api, "POST", "/mcp/servers", {
            name: "py-memory",
            command: ["x"],
            env: {},
            cwd: null,
            timeout_seconds: 30,
          })
        ).status,
      ).toBe(409);
      const servers = z
        .array(McpConnectionInfo)
        .parse(parse((await pythonCall(server.api, "GET", "/mcp/servers")).text));
      expect(servers.map((s) => s.server_name)).toContain("py-memory");
      McpConnectionInfo.parse(parse((await pythonCall(server.api, "GET", "/mcp/servers/py-memory")).text));
      // Bodyless POSTs; a process that never answers the handshake ends in error within its timeout.
      const connect = await pythonCall(server.api, "POST", "/mcp/servers/py-memory/connect");
      expect(connect.status).toBe(200);
      expect(["connecting", "connected", "error"]).toContain(
        (parse(connect.text) as { status: string }).status,
      );
      const disconnect = await pythonCall(server.api, "POST", "/mcp/servers/py-memory/disconnect");
      expect(parse(disconnect.text)).toEqual({ server_name: "py-memory", status: "disconnected" });
      expect(
        z.array(McpToolInfo).parse(parse((await pythonCall(server.api, "GET", "/mcp/tools")).text)),
      ).toEqual([]);
      expect(parse((await pythonCall(server.api, "GET", "/mcp/resources?server=py-memory")).text)).toEqual(
        [],
      );
      expect((await pythonCall(server.api, "GET", "/mcp/servers/nobody")).status).toBe(404);
    });
  });
}
