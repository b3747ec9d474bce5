import type { Scope } from "../identity/scope.js";
import { AppError } from "../server/app-error.js";
import type { ToolCallContext, ToolDefinition, ToolProvider, ToolResult } from "../tools/tool-provider.js";
import type { McpService } from "./mcp-service.js";

const PREFIX = "mcp__";

/** `mcp__<server>__<tool>`; servers whose name contains `__` are left out, so the split is unambiguous. */
export function mcpToolName(server: string, tool: string): string {
  return `${PREFIX}${server}__${tool}`;
}

function parseName(name: string): { server: string; tool: string } | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const rest = name.slice(PREFIX.length);
  const split = rest.indexOf("__");
  if (split <= 0 || split + 2 >= rest.length) return undefined;
  return { server: rest.slice(0, split), tool: rest.slice(split + 2) };
}

/**
 * MCP tools for agent runs. Lists only tools that pass the review gate now, and enforces the gate
 * again in every call (the definition is re-read from the server first), so a tool changed or
 * revoked between listing and calling is refused.
 */
export class McpToolProvider implements ToolProvider {
  constructor(private readonly mcp: McpService) {}

  async listTools(scope: Scope, _agentId: string): Promise<ToolDefinition[]> {
    const tools = await this.mcp.tools(scope, undefined);
    return tools
      .filter((t) => t.verified && !t.server_name.includes("__"))
      .map((t) => ({
        name: mcpToolName(t.server_name, t.name),
        description: t.description,
        inputSchema: t.schema,
        source: `mcp:${t.server_name}`,
      }));
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const parsed = parseName(name);
    if (!parsed) return { content: `Unknown tool "${name}"`, isError: true };
    try {
      const result = await this.mcp.call(context.scope, parsed.server, parsed.tool, args, context.signal);
      return { content: result.content, isError: result.is_error };
    } catch (error) {
      // Refusals (blocked, unknown, disconnected) are the tool's answer to the model, not faults.
      if (error instanceof AppError) return { content: error.message, isError: true };
      throw error;
    }
  }
}
