import type { Run, RunPage } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { bearer, userToken } from "../../../../test/support/identity.js";
import {
  type ModelServer,
  startAnthropicServer,
  startOpenAiServer,
} from "../../../../test/support/model-servers.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { conversation, RecordingTools } from "../../../../test/support/scripted-agents.js";

const PERMIT_TIME = 'permit(principal, action == Action::"call_tool", resource == Tool::"current_time");';
const ANTHROPIC_KEY = "sk-ant-test-0123456789-do-not-leak";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`runs on ${target.name}`, () => {
    let openai: ModelServer;
    let anthropic: ModelServer;
    let database: FreshDatabase;
    let server: TestRuntime;
    let tools: RecordingTools;

    const execute = async (agent: string, input: string, extra: Record<string, unknown> = {}) => {
      const response = await server.call("POST", `/agents/${agent}/execute`, { body: { input, ...extra } });
      expect(response.status, response.text).toBe(200);
      return response.body as Run;
    };
    const getRun = async (id: string) => (await server.call("GET", `/runs/${id}`)).body as Run;
    const until = async (id: string, done: (run: Run) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const run = await getRun(id);
        if (done(run)) return run;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`run ${id} did not get there: ${JSON.stringify(await getRun(id))}`);
    };
    const policy = async (body: Record<string, unknown>) => {
      const response = await server.call("POST", "/policies", { body: { name: "p", ...body } });
      expect(response.status, response.text).toBe(201);
      return response.body as { id: string };
    };

    beforeAll(async () => {
      openai = await startOpenAiServer(conversation);
      anthropic = await startAnthropicServer(conversation);
      database = await target.create();
      tools = new RecordingTools();
      server = await startTestRuntime(
        database,
        {
          ollamaBaseUrl: openai.url,
          anthropicBaseUrl: anthropic.url,
          anthropicApiKey: "secret://anthropic-key",
        },
        { toolProviders: [tools] },
      );
      const agents = [
        sampleAgent("helper", { tools: ["current_time", "shell", "deploy"], system_prompt: "Be brief." }),
        sampleAgent("claude", {
          model: "anthropic/claude-3-5-haiku-latest",
          tools: ["current_time", "shell"],
        }),
        sampleAgent("gpt", { model: "openai/gpt-4o-mini" }),
      ];
      for (const agent of agents)
        expect((await server.call("POST", "/agents", { body: agent })).status).toBe(201);
      const secret = await server.call("POST", "/secrets", {
        body: { agent_id: "*", secret_name: "anthropic-key", secret_value: ANTHROPIC_KEY },
      });
      expect(secret.status, secret.text).toBeLessThan(300);
      await policy({ policy: PERMIT_TIME });
    });

    afterAll(async () => {
      await server?.close();
      await database?.dispose();
      await openai?.close();
      await anthropic?.close();
    });

    it("answers a plain question and honours system prompt, temperature, top_p and max_tokens", async () => {
      const run = await execute("helper", "hello there");
      expect(run.status).toBe("succeeded");
      expect(run.output).toBe("Hello! You said: hello there");
      expect(run.steps.map((s) => s.kind)).toEqual(["model_call"]);
      expect(run.steps[0]?.data).toMatchObject({
        provider: "ollama",
        model: "llama3.2",
        input_tokens: 10,
        output_tokens: 5,
      });
      expect(run.input_tokens + run.output_tokens).toBe(15);
      const sent = openai.requests.find((r) => r.input === "hello there")?.body as Record<string, unknown>;
      expect(sent).toMatchObject({
        model: "llama3.2",
        temperature: 0.7,
        top_p: 0.9,
        max_tokens: 1024,
        stream: true,
      });
      expect((sent.messages as { role: string; content: string }[])[0]).toEqual({
        role: "system",
        content: "Be brief.",
      });
    });

    it("calls an allowed tool through the gate and records every step", async () => {
      const run = await execute("helper", "time: what time is it?");
      expect(run.status, run.error ?? "").toBe("succeeded");
      expect(run.steps.map((s) => s.kind)).toEqual(["model_call", "gate", "tool_call", "model_call"]);
      expect(run.steps.map((s) => s.seq)).toEqual([1, 2, 3, 4]);
      expect(run.steps[1]?.data).toMatchObject({
        tool: "current_time",
        decision: "allow",
        source: "builtin",
      });
      expect(run.steps[2]?.data).toMatchObject({ tool: "current_time", executed: true, is_error: false });
      expect(run.steps[2]?.data.arguments).toEqual({ time_zone: "Europe/Paris" });
      expect(run.output).toContain("Europe/Paris");
    });

    it("never executes a tool that no policy permits or that a policy forbids, and tells the model", async () => {
      const before = tools.calls.length;
      const unpermitted = await execute("helper", "shell: clean up");
      expect(unpermitted.status).toBe("succeeded");
      expect(unpermitted.steps[1]?.data).toMatchObject({ tool: "shell", decision: "deny" });
      expect(unpermitted.output).toContain("denied");
      const permitAll = await policy({ policy: "permit(principal, action, resource);" });
      const forbid = await policy({
        agent_id: "helper",
        policy: 'forbid(principal, action, resource == Tool::"shell") when { context.source == "test" };',
      });
      const forbidden = await execute("helper", "shell: clean up again");
      expect(forbidden.steps[1]?.data).toMatchObject({ decision: "deny", reasons: [forbid.id] });
      expect(forbidden.steps.some((s) => s.kind === "tool_call")).toBe(false);
      expect(tools.calls.length).toBe(before);
      await server.call("DELETE", `/policies/${permitAll.id}`);
      await server.call("DELETE", `/policies/${forbid.id}`);
    });

    it("waits for a human on an approval-required call, resumes after approval, and audits who approved", async () => {
      const approval = await policy({
        agent_id: "helper",
        policy:
          '@approval("required")\npermit(principal == Agent::"helper", action, resource == Tool::"deploy");',
      });
      const waiting = await execute("helper", "deploy: ship it");
      expect(waiting.status).toBe("awaiting_approval");
      expect(waiting.pending_approval).toMatchObject({
        tool: "deploy",
        arguments: { target: "prod", replicas: 2.5 },
      });
      expect(tools.calls.filter((c) => c.runId === waiting.id)).toEqual([]);
      const pending = (await server.call("GET", "/approvals")).body as { items: Run[] };
      expect(pending.items.map((r) => r.id)).toContain(waiting.id);

      const operator = await userToken(server, `op-${target.name}`, ["operator"]);
      const refused = await server.call("POST", `/runs/${waiting.id}/approval`, {
        body: { decision: "approve" },
        headers: bearer(operator),
      });
      expect(refused.status).toBe(403);
      const approver = await userToken(server, `approver-${target.name}`, ["admin"]);
      const decided = await server.call("POST", `/runs/${waiting.id}/approval`, {
        body: { decision: "approve", comment: "looks fine ✓" },
        headers: bearer(approver),
      });
      expect(decided.status, decided.text).toBe(200);
      const again = await server.call("POST", `/runs/${waiting.id}/approval`, { body: { decision: "deny" } });
      expect(again.status).toBe(409);
      const done = await until(waiting.id, (run) => run.status === "succeeded");
      expect(done.steps.map((s) => s.kind)).toEqual([
        "model_call",
        "gate",
        "approval",
        "tool_call",
        "model_call",
      ]);
      expect(done.steps[2]?.data).toMatchObject({ decision: "approved", comment: "looks fine ✓" });
      expect(tools.calls.filter((c) => c.runId === waiting.id)).toHaveLength(1);
      const audit = (await server.call("GET", "/audit?action=run.tool_call.approved")).body as {
        entries: {
          actor_name: string;
          actor_kind: string;
          target_id: string;
          details: Record<string, unknown>;
        }[];
      };
      const entry = audit.entries.find((e) => e.target_id === waiting.id);
      expect(entry).toMatchObject({ actor_name: `approver-${target.name}`, actor_kind: "user" });
      expect(entry?.details).toMatchObject({ tool: "deploy", comment: "looks fine ✓" });

      const raced = await execute("helper", "deploy: ship it twice");
      const decisions = await Promise.all(
        ["approve", "deny", "approve"].map((decision) =>
          server.call("POST", `/runs/${raced.id}/approval`, { body: { decision } }),
        ),
      );
      expect(decisions.map((d) => d.status).sort()).toEqual([200, 409, 409]);
      const racedDone = await until(raced.id, (run) => run.status === "succeeded");
      expect(racedDone.steps.filter((s) => s.kind === "approval")).toHaveLength(1);

      const denied = await execute("helper", "deploy: ship it again");
      expect(denied.status).toBe("awaiting_approval");
      await server.call("POST", `/runs/${denied.id}/approval`, {
        body: { decision: "deny", comment: "not today" },
      });
      const after = await until(denied.id, (run) => run.status === "succeeded");
      expect(after.output).toContain("not today");
      expect(tools.calls.filter((c) => c.runId === denied.id)).toEqual([]);
      await server.call("DELETE", `/policies/${approval.id}`);
    });

    it("talks to Anthropic's streaming API with a key from the secret store, never shown", async () => {
      const run = await execute("claude", "time: now?");
      expect(run.status, run.error ?? "").toBe("succeeded");
      expect(run.steps.map((s) => s.kind)).toEqual(["model_call", "gate", "tool_call", "model_call"]);
      const request = anthropic.requests.find((r) => r.input === "time: now?");
      expect(request?.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
      expect(request?.body).toMatchObject({
        model: "claude-3-5-haiku-latest",
        stream: true,
        max_tokens: 1024,
        temperature: 0.7,
      });
      // Anthropic takes temperature or top_p, not both: the SDK drops top_p and the step says so.
      expect(JSON.stringify(run.steps[0]?.data.warnings)).toContain("topP");
      expect(JSON.stringify(await getRun(run.id))).not.toContain(ANTHROPIC_KEY);
      const refused = await execute("claude", "bad-key: x");
      expect(refused.status).toBe("failed");
      expect(refused.error).toContain("answered HTTP 401");
      expect(refused.error).not.toContain(ANTHROPIC_KEY);
      expect(refused.error).not.toContain(ANTHROPIC_KEY.slice(0, 12));
    });

    it("fails a run whose model cannot be reached, naming provider and URL", async () => {
      const noKey = await execute("gpt", "hello");
      expect(noKey.status).toBe("failed");
      expect(noKey.error).toContain('Model provider "openai" at https://api.openai.com/v1 has no API key');
      const helperDown = await startTestRuntime(
        database,
        {
          ollamaBaseUrl: "http://127.0.0.1:9/v1",
          anthropicBaseUrl: anthropic.url,
          anthropicApiKey: "secret://anthropic-key",
          openaiBaseUrl: openai.url,
          openaiApiKey: "sk-openai-test-key-0123456789",
        },
        { toolProviders: [tools] },
      );
      try {
        // OpenAI's own provider (chat completions), with its key in the Authorization header.
        const gpt = await helperDown.call("POST", "/agents/gpt/execute", { body: { input: "time: openai" } });
        expect((gpt.body as Run).status, (gpt.body as Run).error ?? "").toBe("succeeded");
        const sent = openai.requests.find((r) => r.input === "time: openai");
        expect(sent?.headers.authorization).toBe("Bearer sk-openai-test-key-0123456789");
        expect(sent?.body).toMatchObject({ model: "gpt-4o-mini", stream: true });
        const response = await helperDown.call("POST", "/agents/helper/execute", {
          body: { input: "hello" },
        });
        const run = response.body as Run;
        expect(run.status).toBe("failed");
        expect(run.error).toContain('Model provider "ollama" at http://127.0.0.1:9/v1');
        const upstream = await helperDown.call("POST", "/agents/claude/execute", {
          body: { input: "upstream-error:" },
        });
        expect((upstream.body as Run).error).toContain("answered HTTP 503");
      } finally {
        await helperDown.close();
      }
    });

    it("enforces the step, token and wall-time limits, and cancels", async () => {
      const steps = await execute("helper", "loop: forever", { limits: { max_steps: 2 } });
      expect(steps.status).toBe("failed");
      expect(steps.error).toContain("step limit");
      expect(steps.steps.filter((s) => s.kind === "model_call")).toHaveLength(2);
      const tokens = await execute("helper", "tokens: lots", { limits: { max_tokens: 500 } });
      expect(tokens.status).toBe("succeeded");
      const overBudget = await execute("helper", "loop: again", { limits: { max_tokens: 16 } });
      expect(overBudget.status).toBe("failed");
      expect(overBudget.error).toContain("token limit");
      const slow = await execute("helper", "slow: take your time", { limits: { timeout_seconds: 1 } });
      expect(slow.status).toBe("timed_out");
      const queued = await execute("helper", "slow: again", { wait: false });
      expect(["queued", "running"]).toContain(queued.status);
      const cancelled = await server.call("POST", `/runs/${queued.id}/cancel`);
      expect((cancelled.body as Run).status).toBe("cancelled");
      expect((await server.call("POST", `/runs/${queued.id}/cancel`)).status).toBe(409);
    });

    it("lists an agent's runs newest first, page by page", async () => {
      for (let i = 0; i < 3; i++) await execute("claude", `page ${i}`);
      const first = (await server.call("GET", "/agents/claude/runs?limit=2")).body as RunPage;
      expect(first.items).toHaveLength(2);
      expect(first.items[0]?.input).toBe("page 2");
      const second = (await server.call("GET", `/agents/claude/runs?limit=2&cursor=${first.next_cursor}`))
        .body as RunPage;
      expect(second.items[0]?.input).toBe("page 0");
      const bad = await server.call("GET", "/agents/claude/runs?cursor=nope");
      expect(bad.status).toBe(400);
      expect(bad.text).toContain("query.cursor");
      expect((await server.call("GET", "/agents/nobody/runs")).status).toBe(404);
    });

    it("refuses malformed, oversized and hostile input with 4xx naming the field", async () => {
      const cases: [unknown, string][] = [
        [{}, "body.input"],
        [{ input: "" }, "body.input"],
        [{ input: "x\u0000y" }, "body.input"],
        [{ input: "ok", limits: { max_steps: 0 } }, "body.limits.max_steps"],
        [{ input: "ok", wait_seconds: 1e9 }, "body.wait_seconds"],
        [{ input: "ok", tenant_id: "other" }, "body.tenant_id"],
      ];
      for (const [body, field] of cases) {
        const response = await server.call("POST", "/agents/helper/execute", { body });
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.text).toContain(field);
      }
      expect((await server.call("POST", "/agents/ghost/execute", { body: { input: "hi" } })).status).toBe(
        404,
      );
      expect((await server.call("GET", "/runs/not-a-run")).status).toBe(404);
      const badPolicy = await server.call("POST", "/policies", {
        body: { name: "x", policy: "permit(principal" },
      });
      expect(badPolicy.status).toBe(400);
      expect(badPolicy.text).toContain("body.policy");
      const two = await server.call("POST", "/policies", {
        body: {
          name: "x",
          policy: "permit(principal, action, resource);permit(principal, action, resource);",
        },
      });
      expect(two.text).toContain("exactly one policy");
      const unicode = await execute("helper", "héllo 🌍 مرحبا");
      expect(unicode.output).toBe("Hello! You said: héllo 🌍 مرحبا");
    });

    it("runs 100 concurrent runs with no lost or duplicated steps", async () => {
      const runs = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          execute("helper", `time: concurrent ${i}`, { wait_seconds: 120 }),
        ),
      );
      for (const run of runs) {
        expect(run.status, run.error ?? "").toBe("succeeded");
        expect(run.steps.map((s) => `${s.seq}:${s.kind}`)).toEqual([
          "1:model_call",
          "2:gate",
          "3:tool_call",
          "4:model_call",
        ]);
        expect(run.steps_count).toBe(4);
      }
      expect(new Set(runs.map((r) => r.id)).size).toBe(100);
    });

    it("keeps a credential limited to some agents away from the others' runs, approvals and policies", async () => {
      const key = await server.call("POST", "/keys", {
        body: { name: "claude only", permissions: ["admin"], agent_ids: ["claude"] },
      });
      expect(key.status, key.text).toBe(201);
      const limited = bearer((key.body as { key: string }).key);
      const helperRun = await execute("helper", "hello from helper");
      const as = { headers: limited };
      expect(
        (await server.call("POST", "/agents/helper/execute", { body: { input: "x" }, ...as })).status,
      ).toBe(404);
      expect((await server.call("GET", `/runs/${helperRun.id}`, as)).status).toBe(404);
      expect((await server.call("GET", "/agents/helper/runs", as)).status).toBe(404);
      expect((await server.call("POST", `/runs/${helperRun.id}/cancel`, as)).status).toBe(404);
      const own = await server.call("POST", "/agents/claude/execute", { body: { input: "hi" }, ...as });
      expect((own.body as Run).status).toBe("succeeded");
      const tenantWide = await server.call("POST", "/policies", {
        body: { name: "wide", policy: "permit(principal, action, resource);" },
        ...as,
      });
      expect(tenantWide.status).toBe(403);
      expect(tenantWide.text).toContain("body.agent_id");
      const forHelper = await policy({
        agent_id: "helper",
        policy: 'forbid(principal, action, resource == Tool::"x");',
      });
      expect((await server.call("GET", `/policies/${forHelper.id}`, as)).status).toBe(404);
      expect((await server.call("DELETE", `/policies/${forHelper.id}`, as)).status).toBe(404);
      const listed = (await server.call("GET", "/policies", as)).body as {
        items: { agent_id: string | null }[];
      };
      expect(listed.items.every((p) => p.agent_id === null || p.agent_id === "claude")).toBe(true);
      const evaluated = await server.call("POST", "/policies/evaluate", {
        body: { agent_id: "helper", tool: "current_time" },
        ...as,
      });
      expect(evaluated.status).toBe(404);
      await server.call("DELETE", `/policies/${forHelper.id}`);
    });

    it("dry-runs the gate and manages policies", async () => {
      const created = await policy({
        agent_id: "claude",
        description: "no shell for claude",
        policy: 'forbid(principal, action, resource == Tool::"shell");',
      });
      const evaluate = (tool: string, agent = "claude") =>
        server.call("POST", "/policies/evaluate", { body: { agent_id: agent, tool } });
      expect((await evaluate("current_time")).body).toMatchObject({ decision: "allow" });
      expect((await evaluate("shell")).body).toMatchObject({ decision: "deny" });
      const updated = await server.call("PUT", `/policies/${created.id}`, { body: { enabled: false } });
      expect(updated.body).toMatchObject({ enabled: false, effect: "forbid" });
      expect((await evaluate("shell")).body).toMatchObject({ decision: "deny", reasons: [] });
      const list = (await server.call("GET", "/policies?agent_id=claude")).body as {
        items: { id: string }[];
      };
      expect(list.items.map((p) => p.id)).toContain(created.id);
      expect((await server.call("DELETE", `/policies/${created.id}`)).status).toBe(200);
      expect((await server.call("GET", `/policies/${created.id}`)).status).toBe(404);
    });
  });
}
