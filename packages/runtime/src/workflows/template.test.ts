import { WorkflowSpec } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { isSecretReference } from "../secrets/secret-resolver.js";
import { cosine, disagreementOf } from "./disagreement.js";
import { evaluateSource, renderTemplate, renderValue, type TemplateScope } from "./template.js";
import { checkWorkflow } from "./workflow-graph.js";

const scope: TemplateScope = {
  params: { name: "Zoë", n: 3, list: ["a", "b"], nested: { deep: [{ x: 1 }] }, token: "secret://API_TOKEN" },
  steps: {
    plan: { output: { ok: true, items: [10, 20] }, status: "succeeded" },
    gone: { output: null, status: "skipped" },
  },
  isSecretReference,
};
const keepReferences = async (p: { reference: string }) => p.reference;

describe("workflow templates", () => {
  it("interpolate text, and keep a value's type when the template is one whole expression", async () => {
    expect(await renderTemplate("Hi {{ params.name }}, n={{params.n}}", scope, keepReferences)).toBe(
      "Hi Zoë, n=3",
    );
    expect(await renderTemplate("{{ params.list }}", scope, keepReferences)).toEqual(["a", "b"]);
    expect(await renderTemplate("{{ steps.plan.output.items[1] }}", scope, keepReferences)).toBe(20);
    expect(await renderTemplate("all: {{ steps.plan.output }}", scope, keepReferences)).toBe(
      'all: {"ok":true,"items":[10,20]}',
    );
    expect(await renderTemplate("{{ params.nested.deep[0].x }}", scope, keepReferences)).toBe(1);
    expect(await renderTemplate("no tags {here}", scope, keepReferences)).toBe("no tags {here}");
    expect(await renderValue({ a: ["{{ params.n }}", "x"], b: 2 }, scope, keepReferences)).toEqual({
      a: [3, "x"],
      b: 2,
    });
  });

  it("evaluate conditions with comparisons, logic and literals", () => {
    expect(evaluateSource("params.n > 2 and steps.plan.output.ok", scope)).toBe(true);
    expect(evaluateSource("not (params.n == 3) or params.name == 'Zoë'", scope)).toBe(true);
    expect(evaluateSource("params.list contains 'b'", scope)).toBe(true);
    expect(evaluateSource('steps.gone.status == "skipped"', scope)).toBe(true);
    expect(evaluateSource("{{ params.n >= 4 }}", scope)).toBe(false);
    expect(evaluateSource("!params.list", scope)).toBe(false);
  });

  it("name the expression and what is missing when evaluation fails", async () => {
    await expect(renderTemplate("{{ steps.nope.output }}", scope, keepReferences)).rejects.toThrow(
      '{{ steps.nope.output }}: steps.nope.output: step "nope" has not produced an output',
    );
    await expect(renderTemplate("{{ params.nested.deep[5] }}", scope, keepReferences)).rejects.toThrow(
      "params.nested.deep has no item [5]",
    );
    await expect(renderTemplate("{{ params.name.length }}", scope, keepReferences)).rejects.toThrow(
      'params.name has no field "length"',
    );
    expect(() => evaluateSource("params.n < 'x'", scope)).toThrow("compares two numbers or two texts");
    expect(() => evaluateSource("item", scope)).toThrow("only inside a map step");
  });

  it("cannot reach anything but the data it is given", async () => {
    for (const hostile of [
      "{{ constructor }}",
      "{{ params.__proto__ }}",
      "{{ params.constructor.constructor }}",
      "{{ process.env }}",
      "{{ params.n; process.exit(1) }}",
      "{{ `x` }}",
    ]) {
      await expect(renderTemplate(hostile, scope, keepReferences)).rejects.toThrow();
    }
  });

  it("resolve secret references only through the handler given, and show references otherwise", async () => {
    expect(await renderTemplate("Bearer {{ params.token }}", scope, keepReferences)).toBe(
      "Bearer secret://API_TOKEN",
    );
    expect(await renderTemplate("Bearer {{ params.token }}", scope, async () => "s3cr3t")).toBe(
      "Bearer s3cr3t",
    );
    await expect(
      renderTemplate("{{ params.token }}", scope, async () => {
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    // Conditions compare the reference, never the value.
    expect(evaluateSource("params.token == 'secret://API_TOKEN'", scope)).toBe(true);
  });
});

describe("workflow graph checks", () => {
  const spec = (steps: unknown[], extra: Record<string, unknown> = {}) =>
    WorkflowSpec.parse({ steps, ...extra });

  it("finds the dependencies templates imply, and the arms of branches", () => {
    const { issues, graph } = checkWorkflow(
      spec([
        { id: "a", type: "approval" },
        { id: "b", type: "branch", condition: "steps.a.output.approved", when_true: ["c"] },
        { id: "c", type: "agent", agent_id: "x", input: "{{ steps.a.output }}" },
      ]),
    );
    expect(issues).toEqual([]);
    expect([...(graph.dependencies.get("c") ?? [])].sort()).toEqual(["a", "b"]);
    expect(graph.arms.get("c")).toEqual({ branch: "b", arm: "when_true" });
  });

  it("reports a cycle through templates, depends_on and branch arms with its path", () => {
    const { issues } = checkWorkflow(
      spec([
        { id: "a", type: "agent", agent_id: "x", input: "{{ steps.c.output }}" },
        { id: "b", type: "branch", condition: "steps.a.status == 'succeeded'", when_false: ["c"] },
        { id: "c", type: "approval" },
      ]),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/cycle: (a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b)/);
  });
});

describe("the disagreement index", () => {
  it("is 0 for identical texts, 1 for orthogonal ones, and the mean over every pair", () => {
    const x = Float32Array.from([1, 0, 0]);
    const y = Float32Array.from([0, 1, 0]);
    const xy = Float32Array.from([1, 1, 0]);
    expect(disagreementOf([x, x], "test").index).toBe(0);
    expect(disagreementOf([x, y], "test").index).toBe(1);
    const three = disagreementOf([x, y, xy], "test");
    expect(three.pairs).toHaveLength(3);
    const mean = (0 + cosine(x, xy) + cosine(y, xy)) / 3;
    expect(three.index).toBeCloseTo(1 - mean, 6);
    // Opposite vectors count as unrelated, not as more than unrelated.
    expect(disagreementOf([x, Float32Array.from([-1, 0, 0])], "test").index).toBe(1);
  });
});
