import type { RouteResponse } from "@symbiont/protocol";
import type { RequestOptions } from "../options.js";
import type { Transport } from "../transport.js";
import { pathId } from "./path-id.js";

export type McpConnectionInfo = RouteResponse<"getMcpServer">;
export type McpToolInfo = RouteResponse<"listMcpTools">[number];
export type McpResourceInfo = RouteResponse<"listMcpResources">[number];
export type McpServerChange = RouteResponse<"connectMcpServer">;
export type McpToolCallResponse = RouteResponse<"callMcpTool">;

/** A stdio server (`command`, argv) or a Streamable HTTP one (`url`, `headers`). */
export interface McpServerSpec {
  name: string;
  command?: string[];
  /** Values may be `secret://name` references, resolved when the server is connected. */
  env?: Record<string, string>;
  cwd?: string | null;
  timeout_seconds?: number;
  url?: string | null;
  headers?: Record<string, string>;
}

/** MCP servers of your tenant: register, connect, list tools and resources, call tools through the review gate. */
export class McpResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async add(spec: McpServerSpec, options?: RequestOptions) {
    const body = {
      name: spec.name,
      command: spec.command ?? [],
      env: spec.env ?? {},
      cwd: spec.cwd ?? null,
      timeout_seconds: spec.timeout_seconds ?? 30,
      ...(spec.url ? { url: spec.url, headers: spec.headers ?? {} } : {}),
    };
    return this.#transport.route("addMcpServer", { body }, options);
  }

  async list(options?: RequestOptions): Promise<McpConnectionInfo[]> {
    return this.#transport.route("listMcpServers", {}, options);
  }

  async get(name: string, options?: RequestOptions): Promise<McpConnectionInfo> {
    return this.#transport.route(
      "getMcpServer",
      { params: { server_name: pathId("server", name) } },
      options,
    );
  }

  /** Starts connecting; answers `connecting` when the server is slow (poll `get` or use `waitUntilConnected`). */
  async connect(name: string, options?: RequestOptions): Promise<McpServerChange> {
    return this.#transport.route(
      "connectMcpServer",
      { params: { server_name: pathId("server", name) } },
      options,
    );
  }

  /** Polls until the server is connected; throws with its last error when it fails. */
  async waitUntilConnected(name: string, timeoutMs = 60_000, intervalMs = 250): Promise<McpConnectionInfo> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.get(name);
      if (info.status === "connected") return info;
      if (info.status === "error")
        throw new Error(`MCP server ${name} failed to connect: ${info.last_error ?? "unknown error"}`);
      if (Date.now() > until)
        throw new Error(`MCP server ${name} is still ${info.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  async disconnect(name: string, options?: RequestOptions): Promise<McpServerChange> {
    return this.#transport.route(
      "disconnectMcpServer",
      { params: { server_name: pathId("server", name) } },
      options,
    );
  }

  async delete(name: string, options?: RequestOptions) {
    return this.#transport.route(
      "deleteMcpServer",
      { params: { server_name: pathId("server", name) } },
      options,
    );
  }

  async tools(server?: string, options?: RequestOptions): Promise<McpToolInfo[]> {
    return this.#transport.route("listMcpTools", { query: server === undefined ? {} : { server } }, options);
  }

  async resources(server?: string, options?: RequestOptions): Promise<McpResourceInfo[]> {
    return this.#transport.route(
      "listMcpResources",
      { query: server === undefined ? {} : { server } },
      options,
    );
  }

  /** Calls a tool; refused (ForbiddenError) unless its current definition is signed and unrevoked. */
  async call(
    server: string,
    tool: string,
    args: Record<string, unknown> = {},
    options?: RequestOptions,
  ): Promise<McpToolCallResponse> {
    return this.#transport.route(
      "callMcpTool",
      {
        params: { server_name: pathId("server", server), tool_name: pathId("tool", tool) },
        body: { arguments: args },
      },
      options,
    );
  }
}
