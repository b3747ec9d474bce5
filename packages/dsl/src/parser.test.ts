import { describe, expect, it } from "vitest";
import { compile } from "./compiler.js";
import { isError } from "./diagnostics.js";
import { parse } from "./parser.js";
import { fixture } from "./test/fixtures.js";

const errorsOf = (text: string) =>
  parse(text)
    .diagnostics.filter(isError)
    .map((d) => `${d.code} ${d.message}`);

describe("parsing", () => {
  it("compiles the product README's webhook_handler example, verbatim", () => {
    const result = compile(fixture("readme-webhook-handler.symbi"));
    expect(result.diagnostics).toEqual([]);
    const agent = result.definition!.agents[0]!;
    expect(agent).toMatchObject({
      name: "webhook_handler",
      display_name: "Webhook Handler",
      description: "Handles incoming webhooks",
      triggers: [{ kind: "trigger", name: "github_webhook", settings: { on_push: "main" } }],
      actions: [{ name: "process_webhook", statements: 3 }],
    });
  });

  it("parses every construct of the language in one file", () => {
    const { program, diagnostics } = parse(fixture("incident_tracker.symbi"));
    expect(diagnostics).toEqual([]);
    expect(program.items.map((i) => (i.kind === "BlockDecl" ? i.keyword : i.kind))).toEqual([
      "metadata",
      "TypeDecl",
      "Function",
      "Agent",
      "schedule",
      "webhook",
      "memory",
      "channel",
    ]);
  });

  it("reads durations, sizes, vault references and all three comment styles", () => {
    const { program, diagnostics, comments } = parse(
      [
        "// line comment",
        "# hash comment",
        "/* block",
        "   comment */",
        "memory m {",
        "    retention 730d # two years",
        "    quota 512MB",
        '    key "vault://kv/app#token"',
        "    every 100ms",
        "}",
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    expect(comments.map((c) => c.text)).toEqual([
      "// line comment",
      "# hash comment",
      "/* block\n   comment */",
      "# two years",
    ]);
    const body = program.items[0]!.kind === "BlockDecl" ? program.items[0]!.body : [];
    const values = body.map((e) => (e.kind === "Entry" ? e.value : null));
    expect(values[0]).toMatchObject({ kind: "Duration", raw: "730d", milliseconds: 730 * 86_400_000 });
    expect(values[1]).toMatchObject({ kind: "Size", bytes: 512 * 1024 * 1024 });
    expect(values[2]).toMatchObject({ kind: "String", value: "vault://kv/app#token" });
    expect(values[3]).toMatchObject({ kind: "Duration", milliseconds: 100 });
  });

  it("parses statements: let, if/else if/else, for, while, match, try/catch, return, lambdas, records", () => {
    const { diagnostics, program } = parse(`
function f(items: List<Item>, limit: Int = 10) -> Result<String, Error> {
    let total: Int = 0
    for item in items { total += item.size }
    while total > limit { total -= 1 }
    if total == 0 { return None } else if total < 3 { log.info("few") } else { log.info("many") }
    match total {
        0 -> "none"
        1 => { return "one" }
        _ -> "many"
    }
    try { risky()? } catch (IoError e) { log.error(e.message) } catch err { return Err(err) }
    let doubled = items.map(x -> x * 2).filter((a, b) -> a > b)
    let config = { "host": "localhost", port: 8080, nested: { on: true } }
    return Ok(Report { total: total, items: [1, 2, 3,] })
}`);
    expect(diagnostics).toEqual([]);
    const fn = program.items[0]!;
    expect(fn.kind === "Function" && fn.body.statements.map((s) => s.kind)).toEqual([
      "Let",
      "For",
      "While",
      "If",
      "Match",
      "Try",
      "Let",
      "Let",
      "Return",
    ]);
  });

  it("applies operator precedence: && binds tighter than ||, comparison tighter than &&", () => {
    const { program } = parse("policy p {\n    allow: x if a || b && c == 1 + 2 * 3\n}");
    const rule = program.items[0]!.kind === "Policy" ? program.items[0]!.rules[0]! : undefined;
    const shape = (e: unknown): unknown => {
      const n = e as {
        kind: string;
        operator?: string;
        left?: unknown;
        right?: unknown;
        name?: string;
        raw?: string;
      };
      return n.kind === "Binary" ? [shape(n.left), n.operator, shape(n.right)] : (n.name ?? n.raw);
    };
    expect(shape(rule!.condition)).toEqual([
      "a",
      "||",
      ["b", "&&", ["c", "==", ["1", "+", ["2", "*", "3"]]]],
    ]);
  });

  it("reads with blocks whose settings include a record", () => {
    const { diagnostics } = parse(`
agent a(body: JSON) -> Maybe<Alert> {
    with context = {}, sandbox = "gvisor" {
        return None
    }
}`);
    expect(diagnostics).toEqual([]);
  });

  it("recovers after an error, so one mistake does not hide the next", () => {
    const errors = errorsOf(`
agent a {
    name "x" "y"
    description: "ok"
    model: ???
}

policy p {
    allow ["read"]
    deny: ["write"] if
}

agent b {
    name: "fine"
}
`);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors[0]).toMatch(/E1005.*after the setting 'name'/);
    expect(errors[1]).toMatch(/E1001 expected an expression, found '\?'/);
    expect(errors[2]).toMatch(/E1001 expected ':' after 'allow'/);
    expect(errors.some((e) => /expected an expression, found '}'/.test(e))).toBe(true);
    // The agent after the errors is still parsed.
    const { program } = parse(`agent a {\n    name: ?\n}\n\nagent b {\n    name: "fine"\n}\n`);
    expect(program.items.map((i) => (i.kind === "Agent" ? i.name : ""))).toContain("b");
  });

  it("accepts valid code however it is indented", () => {
    const text = "agent a {\nwith x = 1 {\n        if y {\n    z()\n  }\n}\n      memory m\n    }\n";
    expect(parse(text).diagnostics).toEqual([]);
  });

  it("blames a missing '}' on the block that lacks it, not on the end of the file", () => {
    const text = [
      "agent a {",
      "    policy p {",
      '        allow: ["read"]',
      "",
      "    with timeout = 5s {",
      "        return 1",
      "    }",
      "}",
      "",
    ].join("\n");
    const errors = parse(text).diagnostics.filter(isError);
    expect(errors[0]).toMatchObject({ code: "E1002", message: "policy p opened here is never closed" });
    expect(errors[0]!.span.start).toBe(text.indexOf("{", text.indexOf("policy")));
    // The next definition in column 1 ends an unclosed block too, and is parsed as itself.
    const next = parse('agent a {\n    name: "x"\n\nagent b {\n    name: "y"\n}\n');
    expect(next.diagnostics.map((d) => d.message)).toEqual(["agent a opened here is never closed"]);
    expect(next.program.items.map((i) => (i.kind === "Agent" ? i.name : ""))).toEqual(["a", "b"]);
  });

  it("says what it expected", () => {
    const { diagnostics } = parse("agent a {\n    policy p {\n        permit: x\n    }\n}");
    expect(diagnostics[0]).toMatchObject({
      code: "E1001",
      message: "expected a policy rule, found 'permit'",
      expected: ["'allow'", "'deny'", "'require'", "'audit'", "'conditions'"],
    });
  });

  it("keeps a reserved word out of names", () => {
    expect(errorsOf("agent if {\n}")[0]).toMatch(/'if' is a reserved word/);
  });
});
