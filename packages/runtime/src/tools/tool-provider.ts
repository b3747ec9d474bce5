import type { Scope } from "../identity/scope.js";

/**
 * A tool an agent's run may call. Providers (built-in tools, MCP servers) list the tools an agent
 * may use and carry out calls; the run loop puts the policy gate in front of every call.
 */
export interface ToolDefinition {
  /** Unique within what one agent sees, e.g. `memory_search` or `mcp__filesystem__read_file`. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments (an object schema). */
  readonly inputSchema: Record<string, unknown>;
  /** Where the tool comes from, e.g. `builtin` or `mcp:<server name>`; the policy gate sees it. */
  readonly source: string;
}

export interface ToolCallContext {
  readonly scope: Scope;
  readonly agentId: string;
  readonly runId: string;
  readonly signal: AbortSignal;
}

export interface ToolResult {
  /** What the model is shown: text or JSON-serialisable content. */
  readonly content: unknown;
  readonly isError: boolean;
}

export interface ToolProvider {
  /** The tools this provider offers the agent now (may change between calls). */
  listTools(scope: Scope, agentId: string): Promise<ToolDefinition[]>;
  /** Runs one call; throws only for faults of the provider itself, tool failures come back as isError. */
  callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult>;
}
