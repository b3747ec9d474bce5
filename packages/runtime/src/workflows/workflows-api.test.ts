import {
  type ErrorBody,
  orchestraWorkflow,
  type Run,
  type WorkflowDefinition,
  type WorkflowDefinitionList,
  type WorkflowExecution,
  type WorkflowExecutionPage,
  type WorkflowExecutionResponse,
} from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import {
  type ModelRequest,
  type ModelServer,
  type ScriptedTurn,
  startOpenAiServer,
} from "../../../../test/support/model-servers.js";
import {
  sampleAgent,
  startTestRuntime,
  TEST_API_KEY,
  type TestRuntime,
} from "../../../../test/support/runtime.js";
import { collectEvents } from "../../../../test/support/sse.js";

const systemOf = (request: ModelRequest) =>
  String(
    ((request.body.messages ?? []) as { role: string; content: unknown }[]).find((m) => m.role === "system")
      ?.content ?? "",
  );

/** What each scripted agent answers: by its system prompt, then by the input's `<kind>:` prefix. */
function script(failures: Map<string, number>) {
  return (request: ModelRequest): ScriptedTurn => {
    const system = systemOf(request);
    if (system.includes("what could go right"))
      return { text: "Ship it: the market is ready and the team is strong." };
    if (system.includes("what could go wrong"))
      return { text: "Quantum chromodynamics lattice gauge computations diverge at low temperatures." };
    if (system.includes("next week"))
      return { text: "Start with a pilot for one customer, two engineers, four weeks." };
    if (system.includes("merge several")) return { text: `SYNTHESIS of ${request.input.length} chars` };
    const [kind = ""] = request.input.split(":", 1);
    if (kind === "flaky") {
      // Fails the first two times it sees this exact input, then answers.
      const seen = failures.get(request.input) ?? 0;
      failures.set(request.input, seen + 1);
      return seen < 2 ? { failStatus: 503 } : { text: `recovered after ${seen} failures` };
    }
    if (kind === "broken") return { failStatus: 503 };
    if (kind === "slow") return { text: "finally", delayMs: 4_000 };
    return { text: `echo ${request.input}` };
  };
}

const agent = (id: string, extra: Record<string, unknown> = {}) => sampleAgent(id, { tools: [], ...extra });

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`workflows (${target.name})`, () => {
    let model: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    const failures = new Map<string, number>();

    beforeAll(async () => {
      model = await startOpenAiServer(script(failures));
      database = await target.create();
      server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
      for (const id of ["writer", "critic"]) await server.call("POST", "/agents", { body: agent(id) });
      await server.call("POST", "/agents", { body: agent("clock", { tools: ["current_time"] }) });
    });
    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await model?.close();
    });

    const define = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/workflow-definitions", { body });
      expect(response.status, response.text).toBe(201);
      return response.body as WorkflowDefinition;
    };
    const execute = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/workflows", { body });
      expect(response.status, response.text).toBe(200);
      return response.body as WorkflowExecutionResponse;
    };
    const execution = async (id: string) =>
      (await server.call("GET", `/workflow-executions/${id}`)).body as WorkflowExecution;
    const settle = async (id: string, statuses = ["succeeded", "failed", "cancelled"]) => {
      for (let i = 0; i < 400; i++) {
        const current = await execution(id);
        if (statuses.includes(current.status)) return current;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`execution ${id} did not settle`);
    };
    const fieldsOf = (body: unknown) =>
      ((body as ErrorBody).details as { issues: { field: string; message: string }[] }).issues;

    it("stores definitions by name with versions, and executes one through the contract route with explicit nulls", async () => {
      const created = await define({
        name: "greet",
        description: "says hello",
        parameters: { who: { type: "string", required: true }, tone: { type: "string", default: "warm" } },
        steps: [
          {
            id: "hello",
            type: "agent",
            agent_id: "writer",
            input: "Say hi to {{ params.who }} ({{ params.tone }})",
          },
        ],
      });
      expect(created).toMatchObject({ name: "greet", version: 1, description: "says hello" });
      const duplicate = await server.call("POST", "/workflow-definitions", {
        body: { name: "greet", steps: [{ id: "a", type: "approval" }] },
      });
      expect(duplicate.status).toBe(409);
      const second = await server.call("POST", "/workflow-definitions/greet/versions", {
        body: {
          parameters: { who: { type: "string", required: true } },
          steps: [
            { id: "hello", type: "agent", agent_id: "writer", input: "Hello, {{ params.who }}! ünïcødé ✓" },
          ],
        },
      });
      expect(second.status).toBe(201);
      expect((second.body as WorkflowDefinition).version).toBe(2);
      expect((second.body as WorkflowDefinition).id).toBe(created.id);
      const versions = (await server.call("GET", `/workflow-definitions/${created.id}/versions`))
        .body as WorkflowDefinitionList;
      expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
      const first = (await server.call("GET", "/workflow-definitions/greet?version=1"))
        .body as WorkflowDefinition;
      expect(first.parameters.tone?.default).toBe("warm");
      const listed = (await server.call("GET", "/workflow-definitions")).body as WorkflowDefinitionList;
      expect(listed.items.find((d) => d.name === "greet")?.version).toBe(2);

      // The 0.3 client's shape: workflow_id by name, agent_id explicitly null.
      const answer = await execute({ workflow_id: "greet", parameters: { who: "Zoë" }, agent_id: null });
      expect(Object.keys(answer).sort()).toEqual(["execution_id", "result", "started_at", "status"]);
      expect(answer.status).toBe("succeeded");
      expect(answer.result).toEqual({ hello: "echo Hello, Zoë! ünïcødé ✓" });
      const pinned = await execute({
        workflow_id: created.id,
        parameters: { who: "Ann" },
        agent_id: null,
        version: 1,
      });
      expect(pinned.result).toEqual({ hello: "echo Say hi to Ann (warm)" });
      const detail = await execution(answer.execution_id);
      expect(detail.steps).toMatchObject([{ id: "hello", status: "succeeded", attempts: 1 }]);
      const run = (await server.call("GET", `/runs/${detail.steps[0]?.run_ids[0]}`)).body as Run;
      expect(run.status).toBe("succeeded");
    });

    it("refuses broken definitions and executions with a 400 naming the field", async () => {
      const refused = async (body: unknown, field: string, path = "/workflow-definitions") => {
        const response = await server.call("POST", path, { body });
        expect(response.status, response.text).toBe(400);
        expect(fieldsOf(response.body).map((i) => i.field)).toContain(field);
        return fieldsOf(response.body);
      };
      const cycle = await refused(
        {
          name: "cyclic",
          steps: [
            { id: "a", type: "agent", agent_id: "writer", input: "{{ steps.b.output }}" },
            { id: "b", type: "agent", agent_id: "writer", input: "x", depends_on: ["a"] },
          ],
        },
        "body.steps.0",
      );
      expect(cycle[0]?.message).toContain("cycle");
      await refused(
        {
          name: "ghost",
          steps: [{ id: "a", type: "agent", agent_id: "writer", input: "{{ steps.nope.output }}" }],
        },
        "body.steps.0.input",
      );
      await refused(
        { name: "ghost2", steps: [{ id: "a", type: "approval", depends_on: ["zz"] }] },
        "body.steps.0.depends_on.0",
      );
      await refused(
        { name: "noagent", steps: [{ id: "a", type: "agent", agent_id: "nobody", input: "x" }] },
        "body.steps.0.agent_id",
      );
      await refused(
        {
          name: "badtpl",
          steps: [{ id: "a", type: "agent", agent_id: "writer", input: "{{ params.x + 1 }}" }],
        },
        "body.steps.0.input",
      );
      await refused(
        {
          name: "undeclared",
          steps: [{ id: "a", type: "agent", agent_id: "writer", input: "{{ params.x }}" }],
        },
        "body.steps.0.input",
      );
      await refused(
        {
          name: "evil",
          steps: [
            {
              id: "a",
              type: "agent",
              agent_id: "writer",
              input: "{{ constructor.constructor('return process')() }}",
            },
          ],
        },
        "body.steps.0.input",
      );
      await refused(
        {
          name: "dups",
          steps: [
            { id: "a", type: "approval" },
            { id: "a", type: "approval" },
          ],
        },
        "body.steps.1.id",
      );
      await refused({ name: "bad id!", steps: [{ id: "a", type: "approval" }] }, "body.name");
      await refused({ name: "x", steps: [{ id: "1bad", type: "approval" }] }, "body.steps.0.id");
      await refused({ name: "x", steps: [{ id: "a", type: "teleport" }] }, "body.steps.0.type");
      await refused({ name: "x", steps: [] }, "body.steps");
      await refused(
        { name: "x", steps: [{ id: "a", type: "agent", agent_id: "writer", input: `x${"\u0000"}` }] },
        "body.steps.0.input",
      );
      await refused(
        { name: "x", steps: [{ id: "a", type: "agent", agent_id: "writer", input: "y".repeat(100_001) }] },
        "body.steps.0.input",
      );
      await refused(
        { name: "x", steps: [{ id: "a", type: "branch", condition: "true", when_true: ["a"] }] },
        "body.steps.0.when_true.0",
      );
      await refused(
        { name: "x", steps: [{ id: "a", type: "agent", agent_id: "writer", input: "{{ item }}" }] },
        "body.steps.0.input",
      );
      const malformed = await server.call("POST", "/workflow-definitions", {
        raw: '{"name": "x", "steps": [',
        headers: { "content-type": "application/json" },
      });
      expect(malformed.status).toBe(400);

      await define({
        name: "needs",
        parameters: { n: { type: "number", required: true } },
        steps: [{ id: "a", type: "agent", input: "count {{ params.n }}" }],
      });
      await refused(
        { workflow_id: "needs", parameters: { n: 1 }, agent_id: null },
        "body.agent_id",
        "/workflows",
      );
      await refused(
        { workflow_id: "needs", parameters: {}, agent_id: "writer" },
        "body.parameters.n",
        "/workflows",
      );
      await refused(
        { workflow_id: "needs", parameters: { n: "one" }, agent_id: "writer" },
        "body.parameters.n",
        "/workflows",
      );
      await refused(
        { workflow_id: "needs", parameters: { n: 1, extra: 2 }, agent_id: "writer" },
        "body.parameters.extra",
        "/workflows",
      );
      await refused(
        { workflow_id: "needs", parameters: { n: 1 }, agent_id: "ghost" },
        "body.agent_id",
        "/workflows",
      );
      await refused({ parameters: {}, agent_id: null }, "body.workflow_id", "/workflows");
      expect(
        (await server.call("POST", "/workflows", { body: { workflow_id: "nope", parameters: {} } })).status,
      ).toBe(404);
      // Nothing half-written: no execution of "needs" exists after all those refusals.
      const page = (await server.call("GET", "/workflow-executions?workflow_id=needs"))
        .body as WorkflowExecutionPage;
      expect(page.items).toEqual([]);
    });

    it("runs a DAG: parallel fan-out, a branch whose other arm is skipped, a map over a list, and a fan-in", async () => {
      await define({
        name: "dag",
        parameters: {
          topic: { type: "string" },
          items: { type: "array" },
          loud: { type: "boolean", default: false },
        },
        steps: [
          { id: "draft", type: "agent", agent_id: "writer", input: "draft: {{ params.topic }}" },
          { id: "review", type: "agent", agent_id: "critic", input: "review: {{ params.topic }}" },
          {
            id: "route",
            type: "branch",
            condition: "params.loud == true and steps.draft.status == 'succeeded'",
            when_true: ["shout"],
            when_false: ["whisper"],
          },
          { id: "shout", type: "agent", agent_id: "writer", input: "shout: {{ steps.draft.output }}" },
          { id: "whisper", type: "agent", agent_id: "writer", input: "whisper: {{ steps.draft.output }}" },
          {
            id: "each",
            type: "map",
            over: "params.items",
            max_parallel: 2,
            call: { type: "agent", agent_id: "critic", input: "item {{ index }}: {{ item.name }}" },
          },
          {
            id: "join",
            type: "agent",
            agent_id: "writer",
            input:
              "join: {{ steps.review.output }} | {{ steps.each.output[1] }} | {{ steps.shout.output }} | {{ steps.whisper.status }}",
            depends_on: ["shout", "whisper"],
          },
        ],
        output: {
          final: "{{ steps.join.output }}",
          items: "{{ steps.each.output }}",
          took: "{{ steps.route.output.taken }}",
        },
      });
      const answer = await execute({
        workflow_id: "dag",
        parameters: { topic: "bees", items: [{ name: "α" }, { name: "β" }, { name: "γ" }], loud: true },
        agent_id: null,
      });
      expect(answer.status).toBe("succeeded");
      expect(answer.result).toEqual({
        final: "echo join: echo review: bees | echo item 1: β | echo shout: echo draft: bees | skipped",
        items: ["echo item 0: α", "echo item 1: β", "echo item 2: γ"],
        took: "when_true",
      });
      const detail = await execution(answer.execution_id);
      const status = Object.fromEntries(detail.steps.map((s) => [s.id, s.status]));
      expect(status).toEqual({
        draft: "succeeded",
        review: "succeeded",
        route: "succeeded",
        shout: "succeeded",
        whisper: "skipped",
        each: "succeeded",
        join: "succeeded",
      });
      expect(detail.steps.find((s) => s.id === "each")?.run_ids).toHaveLength(3);
      expect(model.requests.filter((r) => r.input.startsWith("whisper:"))).toEqual([]);
    });

    it("retries a failing step with backoff until it succeeds, and fails the execution naming the step when attempts run out", async () => {
      await define({
        name: "retrying",
        parameters: { tag: { type: "string", required: true } },
        steps: [
          {
            id: "shaky",
            type: "agent",
            agent_id: "writer",
            input: "flaky: {{ params.tag }}",
            retry: { max_attempts: 3, backoff_ms: 20, backoff_multiplier: 2 },
          },
        ],
      });
      const tag = `t-${Date.now()}`;
      const answer = await execute({ workflow_id: "retrying", parameters: { tag }, agent_id: null });
      expect(answer.status).toBe("succeeded");
      expect(answer.result).toEqual({ shaky: "recovered after 2 failures" });
      const detail = await execution(answer.execution_id);
      expect(detail.steps[0]).toMatchObject({ attempts: 3, status: "succeeded" });
      expect(detail.steps[0]?.run_ids).toHaveLength(3);
      expect(model.requests.filter((r) => r.input === `flaky: ${tag}`)).toHaveLength(3);

      await define({
        name: "doomed",
        steps: [
          { id: "first", type: "agent", agent_id: "writer", input: "fine: ok" },
          {
            id: "dead",
            type: "agent",
            agent_id: "writer",
            input: "broken: always",
            depends_on: ["first"],
            retry: { max_attempts: 2, backoff_ms: 10 },
          },
          { id: "never", type: "agent", agent_id: "writer", input: "never: {{ steps.dead.output }}" },
        ],
      });
      const doomed = await execute({ workflow_id: "doomed", parameters: {}, agent_id: null });
      expect(doomed.status).toBe("failed");
      expect(doomed.result).toBeNull();
      const failed = await execution(doomed.execution_id);
      expect(failed.error).toContain('step "dead"');
      expect(failed.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
        ["first", "succeeded", 1],
        ["dead", "failed", 2],
        ["never", "cancelled", 0],
      ]);
    });

    it("waits at an approval step until someone with approvals:decide approves (audited), and fails on a denial", async () => {
      await define({
        name: "gated",
        parameters: { what: { type: "string", required: true } },
        steps: [
          { id: "plan", type: "agent", agent_id: "writer", input: "plan: {{ params.what }}" },
          { id: "ok", type: "approval", message: "Go ahead with {{ steps.plan.output }}?" },
          { id: "act", type: "agent", agent_id: "writer", input: "act: {{ steps.ok.output.approved }}" },
        ],
      });
      const waiting = await execute({ workflow_id: "gated", parameters: { what: "deploy" }, agent_id: null });
      expect(waiting.status).toBe("awaiting_approval");
      const detail = await execution(waiting.execution_id);
      expect(detail.pending_approval).toMatchObject({
        step_id: "ok",
        message: "Go ahead with echo plan: deploy?",
      });
      const viewer = await insertApiKey(server, { permissions: ["read"] });
      const refused = await server.call("POST", `/workflow-executions/${waiting.execution_id}/approval`, {
        body: { decision: "approve" },
        headers: { authorization: `Bearer ${viewer.key}` },
      });
      expect(refused.status).toBe(403);
      const bad = await server.call("POST", `/workflow-executions/${waiting.execution_id}/approval`, {
        body: { decision: "maybe" },
      });
      expect(fieldsOf(bad.body).map((i) => i.field)).toEqual(["body.decision"]);
      // Two decisions at once: exactly one wins.
      const decisions = await Promise.all(
        ["approve", "approve"].map((decision) =>
          server.call("POST", `/workflow-executions/${waiting.execution_id}/approval`, {
            body: { decision, comment: "lgtm" },
          }),
        ),
      );
      expect(decisions.map((d) => d.status).sort()).toEqual([200, 409]);
      const done = await settle(waiting.execution_id);
      expect(done.status).toBe("succeeded");
      expect(done.steps.find((s) => s.id === "ok")?.output).toMatchObject({
        approved: true,
        comment: "lgtm",
      });
      expect(done.steps.find((s) => s.id === "act")?.output).toBe("echo act: true");
      const audit = (await server.call("GET", "/audit?limit=100")).body as { entries: { action: string }[] };
      expect(audit.entries.some((entry) => entry.action === "workflow.step.approved")).toBe(true);

      const denied = await execute({ workflow_id: "gated", parameters: { what: "drop db" }, agent_id: null });
      const deny = await server.call("POST", `/workflow-executions/${denied.execution_id}/approval`, {
        body: { decision: "deny", comment: "no way" },
      });
      expect(deny.status).toBe(200);
      const ended = await settle(denied.execution_id);
      expect(ended.status).toBe("failed");
      expect(ended.error).toContain("no way");
      expect(ended.steps.find((s) => s.id === "act")?.status).toBe("cancelled");
    });

    it("calls tools through the catalog and the policy gate, with the gate's approval as an approval step", async () => {
      await define({
        name: "clocked",
        parameters: { zone: { type: "string", default: "Europe/Paris" } },
        steps: [
          {
            id: "now",
            type: "tool",
            agent_id: "clock",
            tool: "current_time",
            arguments: { time_zone: "{{ params.zone }}" },
          },
        ],
      });
      // The gate denies what no policy permits, for workflows as for runs.
      const unpermitted = await execute({ workflow_id: "clocked", parameters: {}, agent_id: null });
      expect(unpermitted.status).toBe("failed");
      expect((await execution(unpermitted.execution_id)).error).toContain("no policy permits it");
      const permit = await server.call("POST", "/policies", {
        body: {
          name: "clock-ok",
          policy: 'permit(principal, action == Action::"call_tool", resource == Tool::"current_time");',
        },
      });
      expect(permit.status, permit.text).toBe(201);
      const answer = await execute({ workflow_id: "clocked", parameters: {}, agent_id: null });
      expect(answer.status).toBe("succeeded");
      expect((answer.result as { now: { time_zone: string } }).now.time_zone).toBe("Europe/Paris");
      const bad = await execute({
        workflow_id: "clocked",
        parameters: { zone: "Mars/Olympus" },
        agent_id: null,
      });
      expect(bad.status).toBe("failed");

      await define({
        name: "no-such-tool",
        steps: [{ id: "t", type: "tool", tool: "shell", arguments: {} }],
      });
      const missing = await execute({ workflow_id: "no-such-tool", parameters: {}, agent_id: "clock" });
      expect(missing.status).toBe("failed");
      expect((await execution(missing.execution_id)).error).toContain('tool "shell" is not available');

      const policy = await server.call("POST", "/policies", {
        body: {
          name: "clock-needs-approval",
          agent_id: "clock",
          policy: '@approval("required") permit(principal, action, resource);',
        },
      });
      expect(policy.status, policy.text).toBe(201);
      try {
        const gated = await execute({ workflow_id: "clocked", parameters: {}, agent_id: null });
        expect(gated.status).toBe("awaiting_approval");
        expect((await execution(gated.execution_id)).pending_approval?.message).toContain("current_time");
        await server.call("POST", `/workflow-executions/${gated.execution_id}/approval`, {
          body: { decision: "approve" },
        });
        const done = await settle(gated.execution_id);
        expect(done.status).toBe("succeeded");
        expect((done.result as { now: { time_zone: string } }).now.time_zone).toBe("Europe/Paris");
      } finally {
        await server.call("DELETE", `/policies/${(policy.body as { id: string }).id}`);
        await server.call("DELETE", `/policies/${(permit.body as { id: string }).id}`);
      }
    });

    it("cancels an execution and the agent run of its step in progress", async () => {
      await define({
        name: "slowpoke",
        steps: [{ id: "wait", type: "agent", agent_id: "writer", input: "slow: zzz" }],
      });
      const started = await execute({ workflow_id: "slowpoke", parameters: {}, agent_id: null, wait: false });
      expect(started.status).toBe("running");
      let runId: string | undefined;
      for (let i = 0; i < 200 && !runId; i++) {
        runId = (await execution(started.execution_id)).steps[0]?.run_ids[0];
        if (!runId) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const cancelled = await server.call("POST", `/workflow-executions/${started.execution_id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect((cancelled.body as WorkflowExecution).status).toBe("cancelled");
      expect((cancelled.body as WorkflowExecution).steps[0]?.status).toBe("cancelled");
      expect(((await server.call("GET", `/runs/${runId}`)).body as Run).status).toBe("cancelled");
      expect((await server.call("POST", `/workflow-executions/${started.execution_id}/cancel`)).status).toBe(
        409,
      );
    });

    it("streams workflow status and step events to the tenant, and none to another tenant", async () => {
      await define({
        name: "streamed",
        steps: [{ id: "one", type: "agent", agent_id: "writer", input: "stream: x" }],
      });
      const stranger = await insertApiKey(server, { tenant: "elsewhere", permissions: ["admin"] });
      const headers = { authorization: `Bearer ${TEST_API_KEY}` };
      const isDone = (events: { event: string; data: unknown }[]) =>
        events.some(
          (e) => e.event === "workflow.status" && (e.data as { status: string }).status === "succeeded",
        );
      const mine = collectEvents(`${server.api}/events`, headers, { enough: isDone, timeoutMs: 8_000 });
      const theirs = collectEvents(
        `${server.api}/events`,
        { authorization: `Bearer ${stranger.key}` },
        { timeoutMs: 2_500 },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const answer = await execute({ workflow_id: "streamed", parameters: {}, agent_id: null });
      const [seen, foreign] = await Promise.all([mine, theirs]);
      const workflowEvents = seen.events.filter((e) => e.event.startsWith("workflow."));
      expect(workflowEvents.map((e) => [e.event, (e.data as { status: string }).status])).toEqual([
        ["workflow.status", "running"],
        ["workflow.step", "running"],
        ["workflow.step", "succeeded"],
        ["workflow.status", "succeeded"],
      ]);
      expect(workflowEvents[1]?.data).toMatchObject({ execution_id: answer.execution_id });
      expect(foreign.events).toEqual([]);
      const notTheirs = await server.call("GET", `/workflow-executions/${answer.execution_id}`, {
        headers: { authorization: `Bearer ${stranger.key}` },
      });
      expect(notTheirs.status).toBe(404);
      const followForeign = await collectEvents(
        `${server.api}/events?execution_id=${answer.execution_id}`,
        { authorization: `Bearer ${stranger.key}` },
        { timeoutMs: 2_000 },
      );
      expect(followForeign.status).toBe(404);
    });

    it("runs the orchestra template: parallel reflections, a synthesis, and a disagreement index", async () => {
      const voices = [
        ["optimist", "You look for what could go right."],
        ["skeptic", "You look for what could go wrong."],
        ["pragmatist", "You care about what can be done next week."],
        ["synth", "You merge several perspectives into one answer."],
      ];
      for (const [id, prompt] of voices)
        await server.call("POST", "/agents", { body: agent(id as string, { system_prompt: prompt }) });
      await define(
        orchestraWorkflow({
          reflectors: ["optimist", "skeptic", "pragmatist"],
          synthesiser: "synth",
        }) as Record<string, unknown>,
      );
      const answer = await execute({
        workflow_id: "orchestra",
        parameters: { question: "Should we launch?" },
        agent_id: null,
      });
      expect(answer.status).toBe("succeeded");
      const result = answer.result as {
        answer: string;
        disagreement_index: number;
        reflections: Record<string, string>;
      };
      expect(result.answer).toMatch(/^SYNTHESIS of \d+ chars$/);
      expect(Object.keys(result.reflections)).toEqual(["optimist", "skeptic", "pragmatist"]);
      expect(result.disagreement_index).toBeGreaterThan(0);
      expect(result.disagreement_index).toBeLessThanOrEqual(1);
      const detail = await execution(answer.execution_id);
      const disagreement = detail.steps.find((s) => s.id === "disagreement")?.output as {
        pairs: unknown[];
        method: string;
      };
      expect(disagreement.pairs).toHaveLength(3);
      expect(disagreement.method).toContain("cosine");
      // The synthesiser saw every reflection and the index.
      const synthesis = model.requests.find((r) => systemOf(r).includes("merge several"));
      expect(synthesis?.input).toContain("Quantum chromodynamics");
      expect(synthesis?.input).toContain(`disagreement index is ${result.disagreement_index}`);
    });

    it("completes 100 concurrent executions with every step run exactly once", async () => {
      await define({
        name: "fan",
        parameters: { n: { type: "number", required: true } },
        steps: [
          { id: "left", type: "agent", agent_id: "writer", input: "left: {{ params.n }}" },
          { id: "right", type: "agent", agent_id: "critic", input: "right: {{ params.n }}" },
          {
            id: "both",
            type: "agent",
            agent_id: "writer",
            input: "both: {{ steps.left.output }} + {{ steps.right.output }}",
          },
        ],
      });
      const before = model.requests.length;
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, n) =>
          execute({ workflow_id: "fan", parameters: { n }, agent_id: null, wait_seconds: 120 }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(100).fill("succeeded"));
      answers.forEach((answer, n) => {
        expect(answer.result?.both).toBe(`echo both: echo left: ${n} + echo right: ${n}`);
      });
      const seen = model.requests.slice(before).map((r) => r.input);
      expect(seen).toHaveLength(300);
      expect(new Set(seen).size).toBe(300);
      const page = (await server.call("GET", "/workflow-executions?workflow_id=fan&limit=500"))
        .body as WorkflowExecutionPage;
      expect(page.items).toHaveLength(100);
      // 300 agent runs on a shared 2-core machine: correctness is the point here, not speed (see bench/).
    }, 180_000);
  });
}
