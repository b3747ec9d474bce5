import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpConnectionStatus } from "@symbiont/protocol";
import type { Logger } from "pino";
import { RUNTIME_VERSION } from "../version.js";
import type { StoredServerConfig } from "./mcp-repository.js";

/** A tool as the server lists it. */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface McpResource {
  uri: string;
  name?: string;
  description?: string;
  mimeType?: string;
}

/** Env and header values with secret references resolved, kept only in memory while connecting. */
export interface ResolvedEndpoint {
  env: Record<string, string>;
  headers: Record<string, string>;
  /** Resolved secret values, masked out of anything the server prints. */
  secrets: string[];
}

export interface ConnectionHooks {
  resolve(config: StoredServerConfig): Promise<ResolvedEndpoint>;
  /** After connecting and after every tools/list_changed: the server's tools as they are now. */
  toolsChanged(tools: McpTool[]): Promise<void>;
  reconnectPolicy(): { maxAttempts: number; baseDelayMs: number };
  log: Logger;
}

const STDERR_TAIL = 2048;
const MAX_BACKOFF_MS = 30_000;

/** Hides resolved secret values from text the server produced (its stderr, its error messages). */
function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[secret]");
  return out;
}

/**
 * One MCP server of one tenant: its client, its child process (stdio) and its state. Reconnects
 * with exponential backoff when a connection it wanted is lost; never leaves a child behind.
 */
export class McpConnection {
  status: McpConnectionStatus = "disconnected";
  pid: number | undefined;
  connectedAt: string | undefined;
  lastError: string | undefined;
  tools: McpTool[] = [];
  resources: McpResource[] = [];
  reconnectAttempts = 0;

  private client: Client | undefined;
  private transport: Transport | undefined;
  private attempt: Promise<void> | undefined;
  private wanted = false;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped on every connect and disconnect, so late callbacks of an old client do nothing. */
  private generation = 0;
  private secrets: string[] = [];

  constructor(
    readonly serverName: string,
    private config: StoredServerConfig,
    private readonly hooks: ConnectionHooks,
  ) {}

  get transportKind(): "stdio" | "streamable_http" {
    return this.config.url ? "streamable_http" : "stdio";
  }

  get configuration(): StoredServerConfig {
    return this.config;
  }

  /** Starts connecting (if not already) and resolves when this attempt ends, either way. */
  connect(): Promise<void> {
    this.wanted = true;
    if (this.status === "connected") return Promise.resolve();
    if (this.attempt) return this.attempt;
    clearTimeout(this.timer);
    this.attempt = this.open().finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.timer);
    this.generation++;
    this.reconnectAttempts = 0;
    await this.closeClient();
    this.status = "disconnected";
    this.pid = undefined;
    this.connectedAt = undefined;
    this.tools = [];
    this.resources = [];
  }

  /** The live client, for calls; undefined unless connected. */
  liveClient(): Client | undefined {
    return this.status === "connected" ? this.client : undefined;
  }

  /** Re-reads the tool list (on list_changed, and before every gated call). */
  async refreshTools(client = this.liveClient()): Promise<McpTool[]> {
    if (!client) return this.tools;
    if (!client.getServerCapabilities()?.tools) {
      this.tools = [];
      return this.tools;
    }
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, {
        timeout: this.config.timeout_seconds * 1000,
      });
      for (const tool of page.tools)
        tools.push({
          name: tool.name,
          description: tool.description ?? "",
          inputSchema: tool.inputSchema as Record<string, unknown>,
        });
      cursor = page.nextCursor;
    } while (cursor && tools.length < 10_000);
    this.tools = tools;
    await this.hooks.toolsChanged(tools);
    return tools;
  }

  private async refreshResources(client = this.liveClient()): Promise<void> {
    if (!client?.getServerCapabilities()?.resources) {
      this.resources = [];
      return;
    }
    const resources: McpResource[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : undefined, {
        timeout: this.config.timeout_seconds * 1000,
      });
      for (const r of page.resources)
        resources.push({
          uri: r.uri,
          name: r.name,
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.mimeType !== undefined ? { mimeType: r.mimeType } : {}),
        });
      cursor = page.nextCursor;
    } while (cursor && resources.length < 10_000);
    this.resources = resources;
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    this.status = "connecting";
    let stderrTail = "";
    try {
      const endpoint = await this.hooks.resolve(this.config);
      // Disconnected while references resolved: start nothing.
      if (generation !== this.generation) return;
      this.secrets = endpoint.secrets;
      const transport = this.createTransport(endpoint);
      if (transport instanceof StdioClientTransport) {
        transport.stderr?.on("data", (chunk: Buffer) => {
          stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
        });
      }
      const client = new Client({ name: "symbiont", version: RUNTIME_VERSION }, { capabilities: {} });
      client.onclose = () => this.lost(generation, "the connection closed");
      client.onerror = (error) =>
        this.hooks.log.debug(
          { server: this.serverName, err: mask(error.message, this.secrets) },
          "mcp error",
        );
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        if (generation !== this.generation) return;
        await this.refreshTools().catch((error: Error) =>
          this.hooks.log.warn(
            { server: this.serverName, err: mask(error.message, this.secrets) },
            "tool refresh failed",
          ),
        );
      });
      client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => {
        if (generation !== this.generation) return;
        await this.refreshResources().catch(() => {});
      });
      this.client = client;
      this.transport = transport;
      await client.connect(transport, { timeout: this.config.timeout_seconds * 1000 });
      if (generation !== this.generation) return;
      // Listed (and the tools submitted for review) before anyone sees `connected`.
      await this.refreshResources(client);
      await this.refreshTools(client);
      if (generation !== this.generation) return;
      this.status = "connected";
      this.pid = transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
      this.connectedAt = new Date().toISOString();
      this.lastError = undefined;
      this.reconnectAttempts = 0;
    } catch (error) {
      if (generation !== this.generation) return;
      const detail = stderrTail.trim() ? ` (server said: ${stderrTail.trim().slice(-500)})` : "";
      this.lastError = mask(`${(error as Error).message}${detail}`, this.secrets);
      this.status = "error";
      this.pid = undefined;
      await this.closeClient();
      this.scheduleReconnect(generation);
    }
  }

  private createTransport(endpoint: ResolvedEndpoint): Transport {
    if (this.config.url) {
      return new StreamableHTTPClientTransport(new URL(this.config.url), {
        requestInit: { headers: endpoint.headers },
      });
    }
    const [command, ...args] = this.config.command as [string, ...string[]];
    return new StdioClientTransport({
      command,
      args,
      env: endpoint.env,
      ...(this.config.cwd ? { cwd: this.config.cwd } : {}),
      stderr: "pipe",
    });
  }

  private lost(generation: number, reason: string): void {
    if (generation !== this.generation || this.status !== "connected") return;
    this.status = "error";
    this.lastError = reason;
    this.pid = undefined;
    this.scheduleReconnect(generation);
  }

  /** Only a connection that was up (or being retried) is retried; a first failure is reported. */
  private scheduleReconnect(generation: number): void {
    if (!this.wanted || generation !== this.generation) return;
    const { maxAttempts, baseDelayMs } = this.hooks.reconnectPolicy();
    const wasUp = this.connectedAt !== undefined;
    if (!wasUp || this.reconnectAttempts >= maxAttempts) return;
    const delay = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** this.reconnectAttempts);
    this.reconnectAttempts++;
    this.timer = setTimeout(() => {
      if (!this.wanted || generation !== this.generation) return;
      void this.closeClient().then(() => this.connect());
    }, delay);
    this.timer.unref();
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => {});
    } else await transport?.close().catch(() => {});
  }
}
