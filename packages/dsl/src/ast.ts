import type { Span } from "./source.js";

/** `Map<String, Value>`, `string?`, `Alert`. */
export interface TypeRef {
  kind: "TypeRef";
  name: string;
  args: TypeRef[];
  optional: boolean;
  span: Span;
}

export interface Param {
  name: string;
  type: TypeRef | null;
  default: Expr | null;
  span: Span;
}

// ---- Expressions ----

export interface RecordField {
  key: string;
  /** Written `"key"` rather than `key`; kept so formatting does not change how keys look. */
  quoted: boolean;
  value: Expr;
  span: Span;
}

export interface CallArgument {
  /** `f(limit: 5)` names its argument. */
  name: string | null;
  value: Expr;
}

export type Expr =
  | { kind: "Identifier"; name: string; span: Span }
  | { kind: "String"; value: string; triple: boolean; span: Span }
  | { kind: "Number"; raw: string; value: number; span: Span }
  | { kind: "Duration"; raw: string; milliseconds: number; span: Span }
  | { kind: "Size"; raw: string; bytes: number; span: Span }
  | { kind: "Boolean"; value: boolean; span: Span }
  | { kind: "Null"; span: Span }
  | { kind: "Array"; elements: Expr[]; span: Span }
  | { kind: "Record"; typeName: string | null; fields: RecordField[]; span: Span }
  | { kind: "Group"; expression: Expr; span: Span }
  | { kind: "Unary"; operator: "!" | "-"; operand: Expr; span: Span }
  | { kind: "Binary"; operator: BinaryOperator; left: Expr; right: Expr; span: Span }
  | { kind: "Member"; object: Expr; property: string; span: Span }
  | { kind: "Index"; object: Expr; index: Expr; span: Span }
  | { kind: "Call"; callee: Expr; args: CallArgument[]; span: Span }
  | { kind: "Propagate"; operand: Expr; span: Span }
  | { kind: "Lambda"; params: string[]; parenthesized: boolean; body: Expr | Block; span: Span };

export type BinaryOperator =
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

// ---- Statements ----

export interface Block {
  kind: "Block";
  statements: Statement[];
  span: Span;
}

export interface MatchArm {
  pattern: Expr;
  body: Expr | Block;
  span: Span;
}

export interface CatchClause {
  /** `catch (ValidationError e)` names a type; `catch error` and `catch` do not. */
  type: string | null;
  binding: string | null;
  body: Block;
  span: Span;
}

export type Statement =
  | { kind: "Let"; name: string; type: TypeRef | null; value: Expr; span: Span }
  | { kind: "Assign"; target: Expr; operator: "=" | "+=" | "-="; value: Expr; span: Span }
  | {
      kind: "If";
      condition: Expr;
      then: Block;
      otherwise: Block | Extract<Statement, { kind: "If" }> | null;
      span: Span;
    }
  | { kind: "For"; binding: string; iterable: Expr; body: Block; span: Span }
  | { kind: "While"; condition: Expr; body: Block; span: Span }
  | { kind: "Match"; subject: Expr; arms: MatchArm[]; span: Span }
  | { kind: "Try"; body: Block; catches: CatchClause[]; span: Span }
  | { kind: "Return"; value: Expr | null; span: Span }
  | { kind: "ExpressionStatement"; expression: Expr; span: Span };

export type IfStatement = Extract<Statement, { kind: "If" }>;

// ---- Configuration bodies (agent, schedule, webhook, memory, channel, metadata) ----

export type EntrySeparator = ":" | "=" | " ";

/** `name: "x"`, `timeout = 30s`, `provider slack`. */
export interface Entry {
  kind: "Entry";
  key: string;
  separator: EntrySeparator;
  value: Expr;
  span: Span;
  keySpan: Span;
}

/** `filter { … }`, `trigger github_webhook { … }`. */
export interface Section {
  kind: "Section";
  key: string;
  label: string | null;
  body: BodyItem[];
  span: Span;
  keySpan: Span;
}

export type PolicyEffect = "allow" | "deny" | "require" | "audit" | "conditions";

/** `allow: ["read"] if user.role == "doctor"`, `audit: all_operations with digital_signature`. */
export interface PolicyRule {
  kind: "PolicyRule";
  effect: PolicyEffect;
  value: Expr;
  condition: Expr | null;
  modifier: string | null;
  span: Span;
}

export interface PolicyDecl {
  kind: "Policy";
  name: string;
  rules: PolicyRule[];
  span: Span;
  nameSpan: Span;
}

export interface WithOption {
  name: string;
  /** `with configuration_options { … }` names an option without a value. */
  value: Expr | null;
  span: Span;
}

/** `with sandbox = "docker", timeout = 30s { … }`: execution settings and the code they apply to. */
export interface WithBlock {
  kind: "With";
  options: WithOption[];
  body: Block;
  span: Span;
}

/** `action process_webhook { … }`: named code inside an agent. */
export interface ActionDecl {
  kind: "Action";
  name: string;
  body: Block;
  span: Span;
}

export interface FunctionDecl {
  kind: "Function";
  name: string;
  params: Param[];
  returns: TypeRef | null;
  body: Block;
  span: Span;
  nameSpan: Span;
}

export type BodyItem = Entry | Section | PolicyDecl | WithBlock | ActionDecl | FunctionDecl;

// ---- Top level ----

export type BlockKeyword = "metadata" | "schedule" | "webhook" | "memory" | "channel";

export interface BlockDecl {
  kind: "BlockDecl";
  keyword: BlockKeyword;
  name: string | null;
  body: BodyItem[];
  span: Span;
  nameSpan: Span | null;
}

export interface AgentDecl {
  kind: "Agent";
  name: string;
  /** null when written without parentheses (`agent x { … }`). */
  params: Param[] | null;
  returns: TypeRef | null;
  body: BodyItem[];
  span: Span;
  nameSpan: Span;
}

export interface StructField {
  name: string;
  type: TypeRef;
  span: Span;
}

export interface TypeDecl {
  kind: "TypeDecl";
  name: string;
  value: TypeRef | { kind: "Struct"; fields: StructField[]; span: Span };
  span: Span;
  nameSpan: Span;
}

export type Item = BlockDecl | AgentDecl | PolicyDecl | TypeDecl | FunctionDecl;

export interface Program {
  kind: "Program";
  items: Item[];
  span: Span;
}

export const TOP_LEVEL_KEYWORDS = [
  "metadata",
  "agent",
  "policy",
  "schedule",
  "webhook",
  "memory",
  "channel",
  "type",
  "function",
] as const;
