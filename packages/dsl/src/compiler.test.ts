import { describe, expect, it } from "vitest";
import { compile } from "./compiler.js";
import { fixture } from "./test/fixtures.js";

const warnings = (text: string) =>
  compile(text)
    .diagnostics.filter((d) => d.severity === "warning")
    .map((d) => ({ code: d.code, message: d.message, hint: d.hint }));
const firstError = (text: string) => compile(text).diagnostics.find((d) => d.severity === "error");

describe("compiling", () => {
  const definition = compile(fixture("incident_tracker.symbi")).definition!;

  it("compiles the agent's fields, capabilities and resource limits", () => {
    expect(definition.metadata).toMatchObject({ version: "1.2.0", tags: ["ops", "incidents"] });
    const [agent] = definition.agents;
    expect(agent).toMatchObject({
      name: "incident_tracker",
      params: [{ name: "event", type: "JSON" }],
      returns: "Maybe<Incident>",
      display_name: "Incident Tracker",
      model: "llama3.2",
      system_prompt: "You triage incidents.\nBe brief.",
      temperature: 0.2,
      capabilities: ["http_input", "memory", "alerting"],
      limits: { sandbox: "docker", timeout_ms: 30_000, max_memory_mb: 512, max_cpu_cores: 1.5, memory: null },
    });
  });

  it("compiles policies into rules with structured conditions a gate can evaluate", () => {
    const [policy] = definition.agents[0]!.policies;
    expect(policy!.name).toBe("triage_guard");
    const [allowRead, allowLlm, deny, require, audit] = policy!.rules;
    expect(allowRead).toMatchObject({
      effect: "allow",
      actions: ["read", "summarize"],
      condition: {
        kind: "compare",
        operator: "==",
        left: { kind: "path", path: ["event", "verified"] },
        right: { kind: "literal", value: true },
      },
    });
    expect(allowLlm!.targets).toEqual([
      { kind: "call", function: "use", target: null, args: [{ kind: "literal", value: "llm" }] },
    ]);
    expect(allowLlm!.condition).toMatchObject({
      kind: "or",
      operands: [
        { kind: "compare" },
        { kind: "call", function: "ends_with", target: { kind: "path", path: ["event", "user"] } },
      ],
    });
    expect(deny!.condition).toMatchObject({ kind: "and", operands: [{ kind: "compare" }, { kind: "not" }] });
    expect(require).toMatchObject({
      effect: "require",
      settings: { approval: "on-call", for_actions: ["page"] },
    });
    expect(audit).toMatchObject({
      effect: "audit",
      actions: ["all_operations"],
      modifier: "digital_signature",
    });
  });

  it("compiles schedules, webhooks, memory and channels", () => {
    expect(definition.schedules).toEqual([
      {
        name: "nightly_digest",
        agent: "incident_tracker",
        cron: "0 0 9 * * *",
        at: null,
        timezone: "Europe/Berlin",
        one_shot: false,
        settings: {},
      },
    ]);
    expect(definition.webhooks[0]).toEqual({
      name: "github_incidents",
      path: "/hooks/github",
      provider: "github",
      secret: {
        scheme: "vault",
        path: "webhooks/github/secret",
        key: null,
        reference: "vault://webhooks/github/secret",
      },
      agent: "incident_tracker",
      filter: { json_path: "$.action", equals: "created", contains: null },
      settings: {},
    });
    expect(definition.memories[0]).toMatchObject({
      store: "markdown",
      retention_ms: 730 * 86_400_000,
      search: { vector_weight: 0.5, keyword_weight: 0.5 },
    });
    expect(definition.channels[0]).toMatchObject({
      platform: "slack",
      default_agent: "incident_tracker",
      channels: ["#ops-agents"],
    });
    expect(definition.types).toEqual([
      { name: "Incident", definition: "{ id: String, severity: String, summary: String? }" },
    ]);
    expect(definition.functions).toEqual([
      { name: "severity_rank", signature: "(level: String) -> Integer" },
    ]);
  });

  it("makes a one-shot schedule from 'at' and defaults the time zone to UTC", () => {
    const result = compile(
      'agent a {\n}\n\nschedule once {\n    at: "2026-02-15T14:30:00+01:00"\n    agent: a\n}\n',
    );
    expect(result.definition!.schedules[0]).toMatchObject({
      at: "2026-02-15T13:30:00.000Z",
      one_shot: true,
      timezone: "UTC",
      cron: null,
    });
  });

  it("accepts five-field cron, macros and names; rejects malformed ones with the reason", () => {
    const schedule = (cron: string) => `agent a {\n}\n\nschedule s {\n    cron: "${cron}"\n    agent: a\n}\n`;
    for (const ok of ["*/15 * * * *", "0 9 * * MON-FRI", "@daily", "0 0 12 1 JAN ?", "0 0 0 1 1 * 2030"]) {
      expect(compile(schedule(ok)).diagnostics).toEqual([]);
    }
    expect(firstError(schedule("* * *"))?.message).toMatch(/has 3 fields; expected 5/);
    expect(firstError(schedule("*/0 * * * *"))?.message).toMatch(/step '0'/);
    expect(firstError(schedule("0 18-9 * * *"))?.message).toMatch(/runs backwards/);
    expect(firstError(schedule("0 9 * FOO *"))?.message).toMatch(/'FOO' is not a number or a name/);
  });

  it("warns about unknown metadata keys, suggesting the likely one", () => {
    expect(warnings('metadata {\n    verison = "1"\n    colour = "red"\n}\n')).toEqual([
      { code: "W0001", message: "unknown metadata key 'verison'", hint: "did you mean 'version'?" },
      expect.objectContaining({ code: "W0001", message: "unknown metadata key 'colour'" }),
    ]);
  });

  it("warns about functions and types nobody uses, but not about used ones", () => {
    const text = `
type Used = String
type Unused = Int
function helper() -> Used { return "x" }
function orphan() { return 1 }
agent a {
    with timeout = 5s {
        return helper()
    }
}`;
    expect(warnings(text).map((w) => w.message)).toEqual([
      "type 'Unused' is never used",
      "function 'orphan' is never used",
    ]);
  });

  it("warns when a trigger names an agent this file does not define, and about a webhook without a secret", () => {
    const text = 'webhook w {\n    path "/w"\n    provider stripe\n    agent elsewhere\n}\n';
    expect(
      warnings(text)
        .map((w) => w.code)
        .sort(),
    ).toEqual(["W0004", "W0005"]);
    expect(compile(text).definition!.webhooks[0]!.secret).toBeNull();
  });

  it("takes webhook secrets only as secret:// or vault:// references, never in plain text", () => {
    const hook = (secret: string) =>
      `agent a {\n}\n\nwebhook w {\n    path "/w"\n    provider github\n    secret "${secret}"\n    agent a\n}\n`;
    expect(compile(hook("secret://GITHUB_HOOK")).definition!.webhooks[0]!.secret).toEqual({
      scheme: "secret",
      path: "GITHUB_HOOK",
      key: null,
      reference: "secret://GITHUB_HOOK",
    });
    expect(compile(hook("vault://kv/hooks/github#token")).definition!.webhooks[0]!.secret).toEqual({
      scheme: "vault",
      path: "kv/hooks/github",
      key: "token",
      reference: "vault://kv/hooks/github#token",
    });
    expect(firstError(hook("hunter2-in-the-clear"))?.message).toBe(
      "the webhook secret is written in plain text",
    );
    // A Vault reference needs a mount and a path, as the runtime resolves it.
    expect(firstError(hook("vault://only-a-mount"))?.message).toBe(
      'malformed secret reference "vault://only-a-mount"',
    );
    expect(firstError(hook("secret://two/parts"))?.code).toBe("E2006");
  });

  it("warns about unknown keys in schedules and webhooks with a suggestion", () => {
    const text =
      'agent a {\n}\n\nwebhook w {\n    path "/w"\n    provder github\n    secret "vault://a/b"\n    agent a\n}\n';
    expect(warnings(text)).toContainEqual({
      code: "W0003",
      message: "unknown key 'provder' in webhook w",
      hint: "did you mean 'provider'?",
    });
  });

  it("rejects bad values with the field named", () => {
    expect(firstError("agent a {\n    temperature: 3\n}")?.message).toBe(
      "'temperature' in agent a must be a number between 0 and 2",
    );
    expect(firstError("agent a {\n    max_tokens: 1.5\n}")?.message).toBe(
      "'max_tokens' in agent a must be a whole number between 1 and 2000000",
    );
    expect(firstError('agent a {\n    with timeout = "soon" {\n    }\n}')?.message).toMatch(
      /'timeout' .* must be a positive duration/,
    );
    expect(firstError('agent a {\n    name: "x"\n    name: "y"\n}')?.message).toBe(
      "'name' is set twice in agent a",
    );
    expect(firstError('webhook w {\n    path "/a/../b"\n    agent a\n}')?.code).toBe("E2002");
    expect(firstError('webhook w {\n    path "/w"\n    provider gitlab\n    agent a\n}')?.message).toBe(
      "unknown webhook provider 'gitlab'",
    );
    expect(
      firstError('schedule s {\n    cron: "@daily"\n    at: "2026-01-01T00:00:00Z"\n    agent: a\n}')
        ?.message,
    ).toMatch(/both 'cron' and 'at'/);
  });

  it("reads durations written as 30.seconds and resources sections", () => {
    const result = compile(
      "agent a {\n    resources {\n        memory: 1GB\n        cpu: 2\n    }\n    with timeout = 2.minutes {\n    }\n}",
    );
    expect(result.definition!.agents[0]!.limits).toMatchObject({
      max_memory_mb: 1024,
      max_cpu_cores: 2,
      timeout_ms: 120_000,
    });
  });
});
