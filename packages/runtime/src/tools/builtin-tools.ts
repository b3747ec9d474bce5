import type { Scope } from "../identity/scope.js";
import type { ToolCallContext, ToolDefinition, ToolProvider, ToolResult } from "./tool-provider.js";

const CURRENT_TIME: ToolDefinition = {
  name: "current_time",
  description: "The current date and time: UTC in ISO 8601, and the local time in an IANA time zone if given",
  inputSchema: {
    type: "object",
    properties: {
      time_zone: { type: "string", description: "IANA time zone such as Europe/Paris; UTC if omitted" },
    },
    additionalProperties: false,
  },
  source: "builtin",
};

/** The clock, a tool the runtime carries itself; memory and knowledge tools are in memory/memory-tools.ts. */
export class BuiltinTools implements ToolProvider {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async listTools(_scope: Scope, _agentId: string): Promise<ToolDefinition[]> {
    return [CURRENT_TIME];
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    _context: ToolCallContext,
  ): Promise<ToolResult> {
    if (name !== CURRENT_TIME.name) return { content: `no built-in tool "${name}"`, isError: true };
    const now = this.now();
    const zone = args.time_zone;
    if (zone === undefined || zone === null) return { content: { utc: now.toISOString() }, isError: false };
    if (typeof zone !== "string") return { content: "time_zone must be a string", isError: true };
    try {
      const local = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone,
        dateStyle: "short",
        timeStyle: "long",
      }).format(now);
      return { content: { utc: now.toISOString(), time_zone: zone, local }, isError: false };
    } catch {
      return { content: `unknown time zone "${zone.slice(0, 100)}"`, isError: true };
    }
  }
}
