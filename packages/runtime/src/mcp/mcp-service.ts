import type {
  McpConnectionInfo,
  McpResourceInfo,
  McpServerConfig,
  McpToolCallResponse,
  McpToolInfo,
} from "@symbiont/protocol";
import type { Logger } from "pino";
import type { Scope } from "../identity/scope.js";
import { open, seal } from "../secrets/sealed-box.js";
import type { SecretResolver } from "../secrets/secret-resolver.js";
import { isSecretReference, SecretReferenceError } from "../secrets/secret-resolver.js";
import { AppError, conflict, notFound } from "../server/app-error.js";
import { McpConnection, type McpTool, type ResolvedEndpoint } from "./mcp-connection.js";
import type { McpServerRepository, StoredServerConfig } from "./mcp-repository.js";
import { requireTenantWide } from "./tenant-wide.js";

/** What the review pipeline answers about one tool of one server, as it is now. */
export interface GateVerdict {
  allowed: boolean;
  hash: string;
  reviewId: string | null;
  reviewStatus: string | null;
  reason: string;
}

/** The review pipeline as the MCP layer sees it (implemented by ToolReviewService). */
export interface ToolGate {
  /** Opens reviews for definitions not seen before; records definitions that changed. */
  toolsSeen(tenantId: string, serverName: string, tools: McpTool[]): Promise<void>;
  verdict(tenantId: string, serverName: string, tool: McpTool): Promise<GateVerdict>;
}

export interface McpPolicy {
  maxAttempts: number;
  baseDelayMs: number;
}

/** How long a connect request waits before answering `connecting` (the client's timeout is 30 s). */
const CONNECT_REPLY_MS = 20_000;

/** Thrown to the call route: the gate refused the call. */
export class ToolBlockedError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super("FORBIDDEN", message, details);
  }
}

/** MCP servers per tenant: registration, connections, tools and gated calls. */
export class McpService {
  private readonly connections = new Map<string, McpConnection>();
  private closed = false;

  constructor(
    private readonly servers: McpServerRepository,
    private readonly secrets: SecretResolver,
    private readonly gate: ToolGate,
    private readonly log: Logger,
    private readonly policy: () => McpPolicy,
    /** The secrets layer's master key: env and header values that are not references are sealed with it. */
    private readonly encryptionKey: Buffer,
  ) {}

  async add(scope: Scope, config: McpServerConfig): Promise<{ server_name: string; status: "disconnected" }> {
    requireTenantWide(scope, "register MCP servers");
    const { name, ...given } = config;
    // Plain values (tokens passed as they are, not as secret:// references) are stored sealed, bound
    // to the tenant, server and variable, so the database never holds them in the clear.
    const sealAll = (values: Record<string, string>, kind: string) =>
      Object.fromEntries(
        Object.entries(values).map(([k, v]) => [
          k,
          isSecretReference(v)
            ? v
            : `${SEALED}${seal(this.encryptionKey, v, sealContext(scope.tenantId, name, kind, k))}`,
        ]),
      );
    const stored: StoredServerConfig = {
      ...given,
      env: sealAll(given.env, "env"),
      headers: sealAll(given.headers, "header"),
    };
    const added = await this.servers.insert({
      tenantId: scope.tenantId,
      name,
      config: stored,
      createdBy: scope.principalName,
      createdAt: new Date().toISOString(),
    });
    if (!added) throw conflict(`An MCP server named "${name}" exists already`);
    return { server_name: name, status: "disconnected" };
  }

  async list(scope: Scope): Promise<McpConnectionInfo[]> {
    const records = await this.servers.list(scope.tenantId);
    return records.map((r) => this.info(r.name, r.config, this.connections.get(key(scope.tenantId, r.name))));
  }

  async get(scope: Scope, name: string): Promise<McpConnectionInfo> {
    const record = await this.servers.get(scope.tenantId, name);
    if (!record) throw notFound(`MCP server "${name}"`);
    return this.info(name, record.config, this.connections.get(key(scope.tenantId, name)));
  }

  async connect(
    scope: Scope,
    name: string,
  ): Promise<{ server_name: string; status: McpConnectionInfo["status"] }> {
    requireTenantWide(scope, "connect MCP servers");
    if (this.closed) throw new AppError("UNAVAILABLE", "The runtime is stopping");
    const connection = await this.connectionOf(scope.tenantId, name);
    const attempt = connection.connect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      attempt,
      new Promise((resolve) => {
        timer = setTimeout(
          resolve,
          Math.min(CONNECT_REPLY_MS, connection.configuration.timeout_seconds * 1000),
        );
      }),
    ]);
    clearTimeout(timer);
    return { server_name: name, status: connection.status };
  }

  async disconnect(scope: Scope, name: string): Promise<{ server_name: string; status: "disconnected" }> {
    requireTenantWide(scope, "disconnect MCP servers");
    const record = await this.servers.get(scope.tenantId, name);
    if (!record) throw notFound(`MCP server "${name}"`);
    await this.connections.get(key(scope.tenantId, name))?.disconnect();
    this.connections.delete(key(scope.tenantId, name));
    return { server_name: name, status: "disconnected" };
  }

  async delete(scope: Scope, name: string): Promise<{ deleted: true; server_name: string }> {
    requireTenantWide(scope, "delete MCP servers");
    await this.connections.get(key(scope.tenantId, name))?.disconnect();
    this.connections.delete(key(scope.tenantId, name));
    if (!(await this.servers.delete(scope.tenantId, name))) throw notFound(`MCP server "${name}"`);
    return { deleted: true, server_name: name };
  }

  async tools(scope: Scope, server: string | undefined): Promise<McpToolInfo[]> {
    const out: McpToolInfo[] = [];
    for (const connection of await this.liveConnections(scope, server)) {
      for (const tool of connection.tools) {
        const verdict = await this.gate.verdict(scope.tenantId, connection.serverName, tool);
        out.push({
          name: tool.name,
          description: tool.description,
          server_name: connection.serverName,
          schema: tool.inputSchema,
          verified: verdict.allowed,
          verification_hash: verdict.hash,
          review_id: verdict.reviewId,
          review_status: verdict.reviewStatus,
        });
      }
    }
    return out;
  }

  async resources(scope: Scope, server: string | undefined): Promise<McpResourceInfo[]> {
    const out: McpResourceInfo[] = [];
    for (const connection of await this.liveConnections(scope, server)) {
      for (const r of connection.resources) {
        out.push({
          uri: r.uri,
          ...(r.name !== undefined ? { name: r.name } : {}),
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.mimeType !== undefined ? { mime_type: r.mimeType } : {}),
          server_name: connection.serverName,
        });
      }
    }
    return out;
  }

  /**
   * Calls a tool through the gate. The tool list is re-read first, so a definition changed since
   * the last list (with or without a list_changed notification) is judged as it is now.
   */
  async call(
    scope: Scope,
    server: string,
    toolName: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpToolCallResponse> {
    const record = await this.servers.get(scope.tenantId, server);
    if (!record) throw notFound(`MCP server "${server}"`);
    const connection = this.connections.get(key(scope.tenantId, server));
    const client = connection?.liveClient();
    if (!connection || !client)
      throw new AppError("CONFLICT", `MCP server "${server}" is not connected; connect it first`);
    const tools = await connection.refreshTools();
    const tool = tools.find((t) => t.name === toolName);
    if (!tool) throw notFound(`Tool "${toolName}" on MCP server "${server}"`);
    const verdict = await this.gate.verdict(scope.tenantId, server, tool);
    if (!verdict.allowed) {
      throw new ToolBlockedError(
        `Tool "${toolName}" of MCP server "${server}" is blocked: ${verdict.reason}`,
        {
          review_id: verdict.reviewId,
          review_status: verdict.reviewStatus,
          definition_hash: verdict.hash,
        },
      );
    }
    const result = await client.callTool({ name: toolName, arguments: args }, undefined, {
      timeout: record.config.timeout_seconds * 1000,
      ...(signal ? { signal } : {}),
    });
    const content =
      "structuredContent" in result && result.structuredContent !== undefined
        ? { content: result.content, structuredContent: result.structuredContent }
        : result.content;
    return { server_name: server, tool_name: toolName, content, is_error: result.isError === true };
  }

  /** Connected servers of a tenant, for the agent tool provider. */
  connectedServers(tenantId: string): McpConnection[] {
    return [...this.connections.entries()]
      .filter(([k, c]) => k.startsWith(`${tenantId}\u0000`) && c.status === "connected")
      .map(([, c]) => c);
  }

  /** Disconnects everything; no child process outlives the runtime. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections.values()].map((c) => c.disconnect()));
    this.connections.clear();
  }

  private async liveConnections(scope: Scope, server: string | undefined): Promise<McpConnection[]> {
    if (server !== undefined) {
      if (!(await this.servers.get(scope.tenantId, server))) throw notFound(`MCP server "${server}"`);
      const connection = this.connections.get(key(scope.tenantId, server));
      return connection?.status === "connected" ? [connection] : [];
    }
    return this.connectedServers(scope.tenantId).sort((a, b) => a.serverName.localeCompare(b.serverName));
  }

  private async connectionOf(tenantId: string, name: string): Promise<McpConnection> {
    const record = await this.servers.get(tenantId, name);
    if (!record) throw notFound(`MCP server "${name}"`);
    const existing = this.connections.get(key(tenantId, name));
    if (existing) return existing;
    const connection = new McpConnection(name, record.config, {
      resolve: (config) => this.resolve(tenantId, name, config),
      toolsChanged: (tools) => this.gate.toolsSeen(tenantId, name, tools),
      reconnectPolicy: this.policy,
      log: this.log,
    });
    this.connections.set(key(tenantId, name), connection);
    return connection;
  }

  private async resolve(
    tenantId: string,
    name: string,
    config: StoredServerConfig,
  ): Promise<ResolvedEndpoint> {
    const secrets: string[] = [];
    const resolveAll = async (values: Record<string, string>, purpose: string) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(values)) {
        if (v.startsWith(SEALED)) {
          const plain = open(
            this.encryptionKey,
            v.slice(SEALED.length),
            sealContext(tenantId, name, purpose, k),
          );
          out[k] = plain;
          // Masked out of error text when the name says it is a credential.
          if (CREDENTIAL_NAME.test(k)) secrets.push(plain);
          continue;
        }
        try {
          out[k] = await this.secrets.resolve(v, { tenantId, purpose: `mcp server ${name} ${purpose}` });
        } catch (error) {
          if (error instanceof SecretReferenceError) throw new Error(`${purpose} ${k}: ${error.message}`);
          throw error;
        }
        if (out[k] !== v) secrets.push(out[k] as string);
      }
      return out;
    };
    return {
      env: await resolveAll(config.env, "env"),
      headers: await resolveAll(config.headers, "header"),
      secrets,
    };
  }

  private info(
    name: string,
    config: StoredServerConfig,
    connection: McpConnection | undefined,
  ): McpConnectionInfo {
    return {
      server_name: name,
      status: connection?.status ?? "disconnected",
      ...(connection?.pid !== undefined ? { pid: connection.pid } : {}),
      ...(connection?.connectedAt && connection.status === "connected"
        ? { connected_at: connection.connectedAt }
        : {}),
      ...(connection?.lastError !== undefined ? { last_error: connection.lastError } : {}),
      tools_count: connection?.status === "connected" ? connection.tools.length : 0,
      resources_count: connection?.status === "connected" ? connection.resources.length : 0,
      transport: config.url ? "streamable_http" : "stdio",
      command: config.command,
      url: config.url ?? null,
      reconnect_attempts: connection?.reconnectAttempts ?? 0,
    };
  }
}

const key = (tenantId: string, name: string) => `${tenantId}\u0000${name}`;

const SEALED = "sealed:";
const CREDENTIAL_NAME = /token|secret|password|passwd|key|auth|credential|cookie|session/i;
const sealContext = (tenantId: string, server: string, kind: string, name: string) =>
  `mcp ${JSON.stringify([tenantId, server, kind, name])}`;
