import type {
  ActionDecl,
  AgentDecl,
  BlockDecl,
  BlockKeyword,
  BodyItem,
  FunctionDecl,
  Item,
  PolicyDecl,
  PolicyEffect,
  PolicyRule,
  StructField,
  TypeDecl,
  WithBlock,
  WithOption,
} from "./ast.js";
import { TOP_LEVEL_KEYWORDS } from "./ast.js";
import { parseExpression } from "./parse-expression.js";
import { parseBlock, parseList } from "./parse-statement.js";
import { parseParams, parseTypeRef } from "./parse-type.js";
import type { ParserState } from "./parser-state.js";
import { describeToken } from "./tokens.js";

const EFFECTS: readonly PolicyEffect[] = ["allow", "deny", "require", "audit", "conditions"];

export function parseItem(p: ParserState): Item {
  const token = p.current;
  const word = token.kind === "identifier" ? token.text : "";
  switch (word) {
    case "metadata":
    case "schedule":
    case "webhook":
    case "memory":
    case "channel":
      return parseBlockDecl(p, word);
    case "agent":
      return parseAgent(p);
    case "policy":
      return parsePolicy(p);
    case "type":
      return parseTypeDecl(p);
    case "function":
      return parseFunction(p);
    default:
      return p.fail(`expected a definition, found ${describeToken(token)}`, {
        expected: TOP_LEVEL_KEYWORDS.map((k) => `'${k}'`),
      });
  }
}

function parseBlockDecl(p: ParserState, keyword: BlockKeyword): BlockDecl {
  const start = p.advance();
  let name: string | null = null;
  let nameSpan = null;
  if (p.current.kind === "identifier") {
    const token = p.identifier(`a ${keyword} name`);
    name = token.text;
    nameSpan = token.span;
  }
  const { items } = parseList(p, `the ${keyword} block`, () => parseBodyItem(p));
  return { kind: "BlockDecl", keyword, name, body: items, span: p.spanFrom(start), nameSpan };
}

function parseAgent(p: ParserState): AgentDecl {
  const start = p.advance();
  const name = p.identifier("an agent name");
  const params = p.isPunct("(") ? parseParams(p, `agent ${name.text}`) : null;
  const returns = p.accept("->") ? parseTypeRef(p) : null;
  const { items } = parseList(p, `agent ${name.text}`, () => parseBodyItem(p));
  return {
    kind: "Agent",
    name: name.text,
    params,
    returns,
    body: items,
    span: p.spanFrom(start),
    nameSpan: name.span,
  };
}

export function parseFunction(p: ParserState): FunctionDecl {
  const start = p.advance();
  const name = p.identifier("a function name");
  const params = parseParams(p, `function ${name.text}`);
  const returns = p.accept("->") ? parseTypeRef(p) : null;
  const body = parseBlock(p);
  return {
    kind: "Function",
    name: name.text,
    params,
    returns,
    body,
    span: p.spanFrom(start),
    nameSpan: name.span,
  };
}

function parseTypeDecl(p: ParserState): TypeDecl {
  const start = p.advance();
  const name = p.identifier("a type name");
  p.expect("=", `after 'type ${name.text}'`);
  if (p.isPunct("{")) {
    const open = p.current;
    const { items } = parseList(p, `type ${name.text}`, (): StructField => {
      const fieldStart = p.current;
      const field = p.identifier("a field name");
      p.expect(":", `after the field '${field.text}'`);
      const type = parseTypeRef(p);
      const result = { name: field.text, type, span: p.spanFrom(fieldStart) };
      p.endOfItem("the field");
      return result;
    });
    return {
      kind: "TypeDecl",
      name: name.text,
      value: { kind: "Struct", fields: items, span: p.spanFrom(open) },
      span: p.spanFrom(start),
      nameSpan: name.span,
    };
  }
  return {
    kind: "TypeDecl",
    name: name.text,
    value: parseTypeRef(p),
    span: p.spanFrom(start),
    nameSpan: name.span,
  };
}

export function parsePolicy(p: ParserState): PolicyDecl {
  const start = p.advance();
  const name = p.identifier("a policy name");
  const { items } = parseList(p, `policy ${name.text}`, () => parsePolicyRule(p));
  return { kind: "Policy", name: name.text, rules: items, span: p.spanFrom(start), nameSpan: name.span };
}

function parsePolicyRule(p: ParserState): PolicyRule {
  const start = p.current;
  if (start.kind !== "identifier" || !(EFFECTS as readonly string[]).includes(start.text)) {
    p.fail(`expected a policy rule, found ${describeToken(start)}`, {
      expected: EFFECTS.map((e) => `'${e}'`),
    });
  }
  p.advance();
  p.expect(":", `after '${start.text}'`);
  const value = parseExpression(p);
  const condition = p.acceptWord("if") ? parseExpression(p) : null;
  let modifier: string | null = null;
  if (p.acceptWord("with")) modifier = p.identifier("what to audit with").text;
  const rule: PolicyRule = {
    kind: "PolicyRule",
    effect: start.text as PolicyEffect,
    value,
    condition,
    modifier,
    span: p.spanFrom(start),
  };
  p.endOfItem("the rule");
  return rule;
}

/** One item of a configuration body: an entry, a nested section, or a policy / with / action / function. */
export function parseBodyItem(p: ParserState): BodyItem {
  const key = p.current;
  if (key.kind !== "identifier") {
    return p.fail(`expected a setting name, found ${describeToken(key)}`, { expected: ["a name"] });
  }
  const next = p.peek();
  const named = next.kind === "identifier" && !next.lineBreakBefore;
  if (key.text === "policy" && named && p.isPunct("{", p.peek(2))) return parsePolicy(p);
  if (key.text === "action" && named && p.isPunct("{", p.peek(2))) return parseAction(p);
  if (key.text === "function" && named && p.isPunct("(", p.peek(2))) return parseFunction(p);
  if (key.text === "with" && !p.isPunct(":", next) && !p.isPunct("=", next)) return parseWith(p);
  p.advance();
  if (p.isPunct("{") && !p.current.lineBreakBefore) {
    const { items } = parseList(p, `'${key.text}'`, () => parseBodyItem(p));
    return {
      kind: "Section",
      key: key.text,
      label: null,
      body: items,
      span: p.spanFrom(key),
      keySpan: key.span,
    };
  }
  if (named && p.isPunct("{", p.peek())) {
    const label = p.advance();
    const { items } = parseList(p, `'${key.text} ${label.text}'`, () => parseBodyItem(p));
    return {
      kind: "Section",
      key: key.text,
      label: label.text,
      body: items,
      span: p.spanFrom(key),
      keySpan: key.span,
    };
  }
  let separator: ":" | "=" | " " = " ";
  if (p.accept(":")) separator = ":";
  else if (p.accept("=")) separator = "=";
  else if (p.current.lineBreakBefore || p.isPunct("}") || p.atEnd()) {
    p.fail(`expected ':', '=' or a value after '${key.text}', found ${describeToken(p.current)}`, {
      token: p.current.lineBreakBefore ? key : p.current,
      expected: ["':'", "'='", "a value"],
    });
  }
  const value = parseExpression(p);
  const entry = {
    kind: "Entry" as const,
    key: key.text,
    separator,
    value,
    span: p.spanFrom(key),
    keySpan: key.span,
  };
  p.endOfItem(`the setting '${key.text}'`);
  return entry;
}

function parseAction(p: ParserState): ActionDecl {
  const start = p.advance();
  const name = p.identifier("an action name");
  return { kind: "Action", name: name.text, body: parseBlock(p), span: p.spanFrom(start) };
}

/** `with name = value, … { statements }` */
function parseWith(p: ParserState): WithBlock {
  const start = p.advance();
  const options: WithOption[] = [];
  while (!p.isPunct("{")) {
    const optionStart = p.current;
    const name = p.identifier("a setting name");
    let value = null;
    if (p.accept("=") || p.accept(":")) value = parseExpression(p, { noRecord: true });
    options.push({ name: name.text, value, span: p.spanFrom(optionStart) });
    if (!p.accept(",")) {
      if (!p.isPunct("{")) {
        p.fail(`expected ',' or '{' after the setting '${name.text}', found ${describeToken(p.current)}`, {
          expected: ["','", "'{'"],
        });
      }
    }
  }
  return { kind: "With", options, body: parseBlock(p), span: p.spanFrom(start) };
}
