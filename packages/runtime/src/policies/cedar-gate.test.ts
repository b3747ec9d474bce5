import { describe, expect, it } from "vitest";
import { evaluateGate, PolicyTextError, parsePolicy } from "./cedar-gate.js";

const call = (tool: string, args: Record<string, unknown> = {}) => ({
  agentId: "helper",
  tool,
  source: "builtin",
  arguments: args,
});
const policy = (id: string, text: string) => ({
  id,
  policy: text,
  requiresApproval: parsePolicy(text).requiresApproval,
});

describe("the Cedar gate", () => {
  it("denies when no policy permits the call: it fails closed", () => {
    expect(evaluateGate([], call("current_time")).decision).toBe("deny");
  });

  it("lets a forbid win over a permit, and names the deciding policy", () => {
    const verdict = evaluateGate(
      [
        policy("all", "permit(principal, action, resource);"),
        policy("no-shell", 'forbid(principal, action, resource == Tool::"shell");'),
      ],
      call("shell"),
    );
    expect(verdict).toEqual({ decision: "deny", reasons: ["no-shell"], errors: [] });
  });

  it("asks a human when an approval-required permit decides", () => {
    const approval = policy(
      "ask",
      '@approval("required") permit(principal, action, resource == Tool::"deploy");',
    );
    expect(approval.requiresApproval).toBe(true);
    expect(evaluateGate([approval], call("deploy")).decision).toBe("require_approval");
    expect(evaluateGate([approval], call("other")).decision).toBe("deny");
  });

  it("reads arguments: fractions as text, nulls dropped, forged entity escapes ignored", () => {
    const limited = policy(
      "tmp-only",
      'permit(principal, action, resource) when { context.arguments.path like "/tmp/*" && context.arguments.ratio == "0.5" };',
    );
    expect(evaluateGate([limited], call("read", { path: "/tmp/x", ratio: 0.5, other: null })).decision).toBe(
      "allow",
    );
    expect(evaluateGate([limited], call("read", { path: "/etc/passwd", ratio: 0.5 })).decision).toBe("deny");
    const forged = call("read", {
      path: "/tmp/x",
      ratio: 0.5,
      nested: { __entity: { type: "Agent", id: "root" } },
    });
    expect(evaluateGate([limited], forged).decision).toBe("allow");
  });

  it("denies when a policy errors on the request, since that policy might have forbidden it", () => {
    const broken = policy(
      "broken",
      "forbid(principal, action, resource) when { context.arguments.missing > 1 };",
    );
    const verdict = evaluateGate([policy("all", "permit(principal, action, resource);"), broken], call("x"));
    expect(verdict.decision).toBe("deny");
    expect(verdict.errors.join()).toContain("broken");
  });

  it("refuses text that is not exactly one well-formed policy", () => {
    expect(() => parsePolicy("permit(principal")).toThrow(PolicyTextError);
    expect(() => parsePolicy("")).toThrow(/exactly one/);
    expect(() => parsePolicy('@approval("maybe") permit(principal, action, resource);')).toThrow(
      /only "required"/,
    );
    expect(() => parsePolicy('@approval("required") forbid(principal, action, resource);')).toThrow(/permit/);
    expect(() => parsePolicy("permit(principal == ?principal, action, resource);")).toThrow(/templates/);
  });
});
