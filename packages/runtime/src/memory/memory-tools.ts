import { MemoryLevel, MemoryType } from "@symbiont/protocol";
import { z } from "zod";
import type { Scope } from "../identity/scope.js";
import type { KnowledgeService } from "../knowledge/knowledge-service.js";
import { AppError } from "../server/app-error.js";
import type { ToolCallContext, ToolDefinition, ToolProvider, ToolResult } from "../tools/tool-provider.js";
import type { MemoryService } from "./memory-service.js";

const text = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`);
const limit = (max: number, fallback: number) => z.int().min(1).max(max).default(fallback);

const StoreArgs = z.strictObject({
  content: text(16_384),
  memory_type: MemoryType.default("fact"),
  memory_level: MemoryLevel.default("long_term"),
  importance_score: z.number().min(0).max(1).optional(),
});
const MemorySearchArgs = z.strictObject({ query: text(4096), limit: limit(50, 10) });
const KnowledgeSearchArgs = z.strictObject({
  query: text(8192),
  limit: limit(50, 5),
  // The contract's search default; a model may lower it to see weaker matches.
  similarity_threshold: z.number().min(-1).max(1).default(0.7),
});

const DEFINITIONS: ToolDefinition[] = [
  {
    name: "memory_store",
    description: "Remembers something for later runs of this agent (a fact, an experience, context)",
    inputSchema: {
      type: "object",
      properties: {
        content: { type: "string", description: "What to remember, as text" },
        memory_type: { type: "string", enum: MemoryType.options, description: "fact by default" },
        memory_level: { type: "string", enum: MemoryLevel.options, description: "long_term by default" },
        importance_score: { type: "number", minimum: 0, maximum: 1 },
      },
      required: ["content"],
      additionalProperties: false,
    },
    source: "builtin",
  },
  {
    name: "memory_search",
    description: "Searches this agent's memories by meaning and keywords, most relevant first",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for" },
        limit: { type: "integer", minimum: 1, maximum: 50, description: "10 by default" },
      },
      required: ["query"],
      additionalProperties: false,
    },
    source: "builtin",
  },
  {
    name: "knowledge_search",
    description: "Searches the knowledge base (documents shared with this agent), most relevant first",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for" },
        limit: { type: "integer", minimum: 1, maximum: 50, description: "5 by default" },
        similarity_threshold: { type: "number", minimum: -1, maximum: 1, description: "0.7 by default" },
      },
      required: ["query"],
      additionalProperties: false,
    },
    source: "builtin",
  },
];

/**
 * Memory and knowledge as tools of a run. Everything happens as the run's agent in the run's
 * tenant: the agent id never comes from the model, and the scope is narrowed to that one agent,
 * so a run reads and writes its own agent's memories and the knowledge shared with it, nothing else.
 */
export class MemoryTools implements ToolProvider {
  constructor(
    private readonly memory: MemoryService,
    private readonly knowledge: KnowledgeService,
  ) {}

  async listTools(_scope: Scope, _agentId: string): Promise<ToolDefinition[]> {
    return DEFINITIONS;
  }

  async callTool(name: string, args: Record<string, unknown>, context: ToolCallContext): Promise<ToolResult> {
    const scope: Scope = { ...context.scope, agentIds: new Set([context.agentId]) };
    try {
      switch (name) {
        case "memory_store":
          return await this.store(scope, context.agentId, StoreArgs.parse(args));
        case "memory_search":
          return await this.searchMemory(scope, context.agentId, MemorySearchArgs.parse(args));
        case "knowledge_search":
          return await this.searchKnowledge(scope, KnowledgeSearchArgs.parse(args));
        default:
          return { content: `no built-in tool "${name}"`, isError: true };
      }
    } catch (error) {
      // Bad arguments and refusals are the tool's answer to the model, not faults of the run.
      if (error instanceof z.ZodError)
        return {
          content: `invalid arguments: ${error.issues.map((i) => `${i.path.join(".") || "arguments"} ${i.message}`).join("; ")}`,
          isError: true,
        };
      if (error instanceof AppError) return { content: error.message, isError: true };
      throw error;
    }
  }

  private async store(scope: Scope, agentId: string, args: z.infer<typeof StoreArgs>): Promise<ToolResult> {
    const stored = await this.memory.add(scope, {
      agent_id: agentId,
      content: { text: args.content },
      memory_type: args.memory_type,
      memory_level: args.memory_level,
      importance_score: args.importance_score ?? null,
    });
    const m = stored.memory;
    return {
      content: { stored: true, id: m.id, memory_type: m.memory_type, memory_level: m.memory_level },
      isError: false,
    };
  }

  private async searchMemory(
    scope: Scope,
    agentId: string,
    args: z.infer<typeof MemorySearchArgs>,
  ): Promise<ToolResult> {
    const found = await this.memory.search(scope, {
      agent_id: agentId,
      query: args.query,
      limit: args.limit,
    });
    return {
      content: {
        memories: found.memories.map((m) => ({
          id: m.id,
          content: m.content,
          memory_type: m.memory_type,
          memory_level: m.memory_level,
          score: m.score ?? null,
          timestamp: m.timestamp,
        })),
        total_count: found.total_count,
      },
      isError: false,
    };
  }

  private async searchKnowledge(
    scope: Scope,
    args: z.infer<typeof KnowledgeSearchArgs>,
  ): Promise<ToolResult> {
    const found = await this.knowledge.search(scope, {
      query: args.query,
      limit: args.limit,
      similarity_threshold: args.similarity_threshold,
    });
    return {
      content: {
        results: found.results.map((r) => ({
          id: r.item.id,
          content: r.item.content,
          source: r.item.metadata.source,
          source_type: r.item.metadata.source_type,
          similarity_score: r.similarity_score,
        })),
        total_results: found.total_results,
      },
      isError: false,
    };
  }
}
