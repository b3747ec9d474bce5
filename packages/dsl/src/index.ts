export type {
  AgentDecl,
  Block,
  BlockDecl,
  BodyItem,
  Entry,
  Expr,
  FunctionDecl,
  Item,
  PolicyDecl,
  Program,
  Section,
  Statement,
  TypeRef,
  WithBlock,
} from "./ast.js";
export type * from "./compiled.js";
export { type CompileResult, compile, METADATA_KEYS } from "./compiler.js";
export {
  DIAGNOSTIC_CODES,
  type Diagnostic,
  type DiagnosticCode,
  formatDiagnosticLine,
  isError,
  type LocatedDiagnostic,
  locate,
  type RenderOptions,
  renderDiagnostic,
  type Severity,
  unlocate,
} from "./diagnostics.js";
export { type FormatResult, format } from "./formatter.js";
export { lex } from "./lexer.js";
export { type ParseResult, parse } from "./parser.js";
export { LIMITS } from "./parser-state.js";
export { type Position, SourceText, type Span } from "./source.js";
