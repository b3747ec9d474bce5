import { routes } from "@symbiont/protocol";
import { bindRoute, type RouteBindingContext } from "../server/route-binding.js";
import type { McpService } from "./mcp-service.js";
import { requireTenantWide } from "./tenant-wide.js";

export function registerMcpRoutes(context: RouteBindingContext, mcp: McpService): void {
  bindRoute(context, routes.addMcpServer, ({ scope, body }) => mcp.add(scope, body));
  bindRoute(context, routes.listMcpServers, ({ scope }) => mcp.list(scope));
  bindRoute(context, routes.getMcpServer, ({ scope, params }) => mcp.get(scope, params.server_name));
  bindRoute(context, routes.connectMcpServer, ({ scope, params }) => mcp.connect(scope, params.server_name));
  bindRoute(context, routes.disconnectMcpServer, ({ scope, params }) =>
    mcp.disconnect(scope, params.server_name),
  );
  bindRoute(context, routes.deleteMcpServer, ({ scope, params }) => mcp.delete(scope, params.server_name));
  bindRoute(context, routes.listMcpTools, ({ scope, query }) => mcp.tools(scope, query.server));
  bindRoute(context, routes.listMcpResources, ({ scope, query }) => mcp.resources(scope, query.server));
  bindRoute(context, routes.callMcpTool, ({ scope, params, body }) => {
    // Agents call tools in their runs (McpToolProvider); this endpoint is the tenant's admins'.
    requireTenantWide(scope, "call MCP tools directly");
    return mcp.call(scope, params.server_name, params.tool_name, body.arguments ?? {});
  });
}
