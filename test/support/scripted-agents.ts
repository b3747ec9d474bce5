import type { ToolCallContext, ToolDefinition, ToolProvider, ToolResult } from "@symbiont/runtime";
import type { ModelRequest, ScriptedTurn } from "./model-servers.js";

/**
 * One script for every scripted model server: what the model does depends on the run's input, so
 * many runs can share a server concurrently. `<kind>: <rest>`.
 */
export function conversation(request: ModelRequest): ScriptedTurn {
  const [kind = ""] = request.input.split(":", 1);
  const last = request.toolResults.at(-1);
  switch (kind) {
    case "time":
      return last === undefined
        ? { toolCalls: [{ name: "current_time", arguments: { time_zone: "Europe/Paris" } }] }
        : { text: `It is ${last}` };
    case "shell":
      return last === undefined
        ? { text: "Let me run that.", toolCalls: [{ name: "shell", arguments: { command: "rm -rf /" } }] }
        : { text: `shell said: ${last}` };
    case "deploy":
      return last === undefined
        ? { toolCalls: [{ name: "deploy", arguments: { target: "prod", replicas: 2.5 } }] }
        : { text: `deploy said: ${last}` };
    case "loop":
      return { toolCalls: [{ name: "current_time", arguments: {} }] };
    case "slow":
      return { text: "finally", delayMs: 3_000 };
    case "tokens":
      return { text: "many words", inputTokens: 900, outputTokens: 200 };
    case "upstream-error":
      return { failStatus: 503 };
    case "bad-key": {
      // As OpenAI and Anthropic do: the error quotes (part of) the key it refused.
      const sent = String(request.headers["x-api-key"] ?? request.headers.authorization ?? "");
      return {
        failStatus: 401,
        failBody: JSON.stringify({ error: { message: `Incorrect API key provided: ${sent}` } }),
      };
    }
    default:
      return { text: `Hello! You said: ${request.input}` };
  }
}

/** A tool provider for tests that records every call it carries out: what never ran is provable. */
export class RecordingTools implements ToolProvider {
  readonly calls: { name: string; args: Record<string, unknown>; runId: string }[] = [];

  async listTools(): Promise<ToolDefinition[]> {
    const object = { type: "object", properties: {}, additionalProperties: true };
    return [
      { name: "shell", description: "Runs a shell command", inputSchema: object, source: "test" },
      { name: "deploy", description: "Deploys the service", inputSchema: object, source: "test" },
    ];
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    this.calls.push({ name, args, runId: context.runId });
    return { content: `${name} ran with ${JSON.stringify(args)}`, isError: false };
  }
}
