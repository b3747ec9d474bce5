import type { Scope } from "../identity/scope.js";
import type { ToolDefinition, ToolProvider } from "./tool-provider.js";

export interface OfferedTool {
  readonly definition: ToolDefinition;
  readonly provider: ToolProvider;
}

/** Every tool provider of the runtime; an agent is offered the tools its definition names. */
export class ToolCatalog {
  constructor(private readonly providers: readonly ToolProvider[]) {}

  async offeredTo(
    scope: Scope,
    agentId: string,
    names: readonly string[],
  ): Promise<Map<string, OfferedTool>> {
    const wanted = new Set(names);
    const offered = new Map<string, OfferedTool>();
    const lists = await Promise.all(this.providers.map((provider) => provider.listTools(scope, agentId)));
    lists.forEach((definitions, index) => {
      const provider = this.providers[index] as ToolProvider;
      for (const definition of definitions) {
        // The first provider to offer a name keeps it: a later one cannot shadow a built-in.
        if (wanted.has(definition.name) && !offered.has(definition.name))
          offered.set(definition.name, { definition, provider });
      }
    });
    return offered;
  }
}
