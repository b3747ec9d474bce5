import { describe, expect, it } from "vitest";
import { format } from "./formatter.js";
import { parse } from "./parser.js";
import { fixture, withoutSpans } from "./test/fixtures.js";

function formatted(text: string): string {
  const result = format(text);
  if (!result.ok) throw new Error(`format refused: ${JSON.stringify(result.diagnostics)}`);
  return result.text;
}

const MESSY = `metadata{version="1.0",   author =  "me"}
# leading comment
agent   messy ( input : String,limit:Int=5 )->Result<String,Error>{
  name:"Messy"   // trailing comment
  capabilities=["a","b"
  ,"c"]
      policy p{allow:["read"] if input.length()<10000&&!input.empty
   deny : use("net")   if true
  audit: all_operations with signature}
  with sandbox="docker",timeout=30s,max_memory_mb=256{
    let x=-1
    if(x>0){return x}else{x+=1}
    for i in [1,2,3]{log.info(i)}
    match x {1->"one"
    _=>"other"}
    try{risky()?}catch(E e){return null}catch{return null}
    let f=(a,b)->a+b
    /* block comment */
    let r={"k":1,v:[true,false,null]}
    return Incident{id:"x"}
  }
  trigger gh{on_push:main}
}
webhook w{path "/h"
provider    github
secret "vault://w/s"
agent messy
filter{json_path "$.a"
equals "b"}}
schedule{cron:"*/5 * * * *"; agent:messy}
`;

describe("formatting", () => {
  const samples: [string, string][] = [
    ["the README example", fixture("readme-webhook-handler.symbi")],
    ["the incident tracker", fixture("incident_tracker.symbi")],
    ["a messy file", MESSY],
  ];

  it.each(samples)("is idempotent on %s: fmt(fmt(x)) == fmt(x)", (_, text) => {
    const once = formatted(text);
    expect(formatted(once)).toBe(once);
  });

  it.each(samples)("preserves the meaning of %s: the ASTs match without positions", (_, text) => {
    const before = parse(text).program;
    const after = parse(formatted(text)).program;
    expect(withoutSpans(after)).toEqual(withoutSpans(before));
  });

  it("lays code out with four-space indents, spaced operators and aligned bare settings", () => {
    const out = formatted(MESSY);
    expect(out).toContain('metadata {\n    version = "1.0"\n    author = "me"\n}');
    expect(out).toContain("agent messy(input: String, limit: Int = 5) -> Result<String, Error> {");
    expect(out).toContain('    name: "Messy" // trailing comment');
    expect(out).toContain('        allow: ["read"] if input.length() < 10000 && !input.empty');
    expect(out).toContain('    with sandbox = "docker", timeout = 30s, max_memory_mb = 256 {');
    expect(out).toContain("        } else {\n            x += 1\n        }");
    expect(out).toContain('    path     "/h"\n    provider github\n');
    expect(out).toContain("# leading comment\nagent messy");
    expect(out).toContain("        /* block comment */");
    expect(out.endsWith("}\n")).toBe(true);
  });

  it("stays idempotent and meaning-preserving with comments at the end of any line", () => {
    const lines = fixture("incident_tracker.symbi").split("\n");
    for (let every = 2; every <= 7; every++) {
      const text = lines
        .map((line, i) => (i % every === 0 && line.trim() !== "" ? `${line} // c${i}` : line))
        .join("\n");
      const once = formatted(text);
      expect(formatted(once)).toBe(once);
      expect(withoutSpans(parse(once).program)).toEqual(withoutSpans(parse(text).program));
      for (let i = 0; i < lines.length; i += every) {
        if (lines[i]!.trim() !== "") expect(once).toContain(`// c${i}`);
      }
    }
  });

  it("keeps every comment", () => {
    const text = '// a\nagent x { // b\n    # c\n    name: "n" /* d */\n    // e\n}\n// f\n';
    const out = formatted(text);
    for (const comment of ["// a", "// b", "# c", "/* d */", "// e", "// f"]) expect(out).toContain(comment);
    expect(formatted(out)).toBe(out);
  });

  it("escapes strings so they read back the same", () => {
    const text = 'agent x {\n    name: "tab\\tquote\\" back\\\\ nl\\n uni\\u{1F600} 日本"\n}\n';
    const out = formatted(text);
    expect(withoutSpans(parse(out).program)).toEqual(withoutSpans(parse(text).program));
  });

  it("refuses a file with syntax errors instead of guessing", () => {
    const result = format("agent x {\n    name: \n");
    expect(result.ok).toBe(false);
  });
});
