import { compile } from "@symbiont/dsl";
import type { DslCompileResponse, PolicyList, ScheduleList } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { insertApiKey } from "../../../../test/support/keys.js";
import { useTestRuntime } from "../../../../test/support/runtime.js";
import { parsePolicy } from "../policies/cedar-gate.js";
import { translatePolicies } from "./policy-translation.js";

const OPS = `agent ops {
    model: "llama3.2"
    policy guard {
        allow: ["read", "summarize"] if arguments.path == "/tmp/report"
        allow: use("current_time")
        allow: use("llm") if event.source == "github"
        deny: ["shell"] if event.severity == "critical"
        require: { approval: "on-call", for_actions: ["page"] }
        audit: all_operations with digital_signature
    }
}

schedule nightly {
    cron: "0 0 2 * * *"
    timezone: "Europe/Berlin"
    agent: ops
    input: "Nightly check"
}

schedule hourly {
    cron: "@hourly"
    agent: ops
}

agent other {
}

schedule elsewhere {
    cron: "@daily"
    agent: other
}
`;

const policiesOf = (source: string, agentId = "ops") => {
  const definition = compile(source).definition;
  if (!definition) throw new Error("the source does not compile");
  return translatePolicies(
    [...definition.agents.flatMap((a) => (a.name === agentId ? a.policies : [])), ...definition.policies],
    agentId,
    `${agentId}.symbi`,
  );
};

describe("translating .symbi policies into the gate's Cedar", () => {
  it("binds each rule to the agent and the tools it names, and never widens what it cannot express", () => {
    const { statements, warnings } = policiesOf(OPS);
    expect(statements.map((s) => s.policy)).toEqual([
      'permit(principal == Agent::"ops", action == Action::"call_tool", resource) when { [Tool::"read", Tool::"summarize"].contains(resource) && (context.arguments has "path" && context.arguments["path"] == "/tmp/report") };',
      'permit(principal == Agent::"ops", action == Action::"call_tool", resource == Tool::"current_time");',
      'forbid(principal == Agent::"ops", action == Action::"call_tool", resource == Tool::"shell");',
      '@approval("required") permit(principal == Agent::"ops", action == Action::"call_tool", resource == Tool::"page");',
    ]);
    for (const statement of statements) expect(() => parsePolicy(statement.policy)).not.toThrow();
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning\[W0007\]: policy guard line 6: .*not stored, so the gate keeps denying/,
      ),
      expect.stringMatching(/^warning\[W0007\]: policy guard line 7: .*stored as an unconditional forbid/),
      expect.stringMatching(/^warning\[W0007\]: policy guard line 9: 'audit' is not a gate decision/),
    ]);
  });

  it("escapes hostile tool names and argument keys so they stay Cedar strings", () => {
    const { statements } = policiesOf(
      'agent ops {\n    policy p {\n        deny: ["a\\"b) ; permit(principal, action, resource", "tab\\there"] if arguments.k == "x\\"y"\n        allow: "*"\n    }\n}\n',
    );
    expect(statements).toHaveLength(2);
    for (const statement of statements) expect(() => parsePolicy(statement.policy)).not.toThrow();
    expect(statements[0]?.policy).toContain('Tool::"a\\"b) ; permit(principal, action, resource"');
    expect(statements[0]?.policy).toContain('Tool::"tab\\u{9}here"');
    expect(statements[1]?.policy).toBe(
      'permit(principal == Agent::"ops", action == Action::"call_tool", resource);',
    );
  });
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`registering .symbi schedules and policies on ${target.name}`, () => {
    const server = useTestRuntime(target, { scheduler: false });
    const register = (source: string, headers?: Record<string, string>) =>
      server.call("POST", "/dsl/compile", {
        body: { dsl_content: source, agent_name: "ops", validate_only: false },
        ...(headers ? { headers } : {}),
      });
    const evaluate = async (tool: string, args: Record<string, unknown> = {}) =>
      (
        (
          await server.call("POST", "/policies/evaluate", {
            body: { agent_id: "ops", tool, arguments: args },
          })
        ).body as { decision: string }
      ).decision;

    it("stores the agent's schedules and its policies, which the gate then enforces", async () => {
      const response = await register(OPS);
      const body = response.body as DslCompileResponse;
      expect(body, response.text).toMatchObject({ success: true, agent_id: "ops", registration: "created" });
      expect(body.stored?.schedules).toHaveLength(2);
      expect(body.stored?.policies).toHaveLength(4);
      expect(body.warnings).toContainEqual(expect.stringMatching(/schedule elsewhere runs agent other/));

      const schedules = (await server.call("GET", "/schedules")).body as ScheduleList;
      expect(schedules.items.map((s) => [s.name, s.cron, s.timezone, s.input, s.origin])).toEqual([
        ["nightly", "0 0 2 * * *", "Europe/Berlin", "Nightly check", "dsl:ops"],
        ["hourly", "@hourly", "UTC", null, "dsl:ops"],
      ]);
      expect(schedules.items.every((s) => s.status === "active" && s.next_fire_at !== null)).toBe(true);

      expect(await evaluate("read", { path: "/tmp/report" })).toBe("allow");
      expect(await evaluate("read", { path: "/etc/passwd" })).toBe("deny");
      expect(await evaluate("read")).toBe("deny");
      expect(await evaluate("current_time")).toBe("allow");
      expect(await evaluate("shell")).toBe("deny");
      expect(await evaluate("page")).toBe("require_approval");
      expect(await evaluate("llm")).toBe("deny");
    });

    it("replaces that registration's schedules and policies when registered again, and only those", async () => {
      const byHand = await server.call("POST", "/policies", {
        body: {
          name: "by hand",
          agent_id: "ops",
          policy: 'permit(principal, action, resource == Tool::"search");',
        },
      });
      expect(byHand.status).toBe(201);
      const manual = await server.call("POST", "/schedules", {
        body: { name: "by hand", agent_id: "ops", cron: "@weekly" },
      });
      expect(manual.status).toBe(201);
      const again = await register(
        'agent ops {\n    model: "llama3.2"\n}\n\nschedule only {\n    cron: "*/5 * * * *"\n    agent: ops\n}\n',
      );
      expect(again.body).toMatchObject({ success: true, registration: "updated", stored: { policies: [] } });
      const schedules = (await server.call("GET", "/schedules")).body as ScheduleList;
      expect(schedules.items.map((s) => [s.name, s.origin])).toEqual([
        ["by hand", null],
        ["only", "dsl:ops"],
      ]);
      const policies = (await server.call("GET", "/policies?agent_id=ops")).body as PolicyList;
      expect(policies.items.map((p) => [p.name, p.origin])).toEqual([["by hand", null]]);
      expect(await evaluate("current_time")).toBe("deny");
      expect(await evaluate("search")).toBe("allow");
    });

    it("needs schedules:write and policies:write to store them, checked before anything is written", async () => {
      const limited = await insertApiKey(server, {
        permissions: ["dsl:write", "agents:write", "agents:execute"],
      });
      const source = OPS.replaceAll("ops", "ops2");
      const denied = await server.call("POST", "/dsl/compile", {
        body: { dsl_content: source, agent_name: "ops2", validate_only: false },
        headers: { authorization: `Bearer ${limited.key}` },
      });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ details: { required_permission: "schedules:write" } });
      expect((await server.call("GET", "/agents/ops2")).status).toBe(404);
      const noPolicies = await insertApiKey(server, {
        permissions: ["dsl:write", "agents:write", "agents:execute", "schedules:write"],
      });
      const deniedPolicies = await server.call("POST", "/dsl/compile", {
        body: { dsl_content: source, agent_name: "ops2", validate_only: false },
        headers: { authorization: `Bearer ${noPolicies.key}` },
      });
      expect(deniedPolicies.body).toMatchObject({ details: { required_permission: "policies:write" } });
      const schedules = (await server.call("GET", "/schedules?agent_id=ops2")).body as ScheduleList;
      expect(schedules.items).toEqual([]);
    });
  });
}
