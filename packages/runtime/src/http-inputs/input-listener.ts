import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpInputConfig } from "@symbiont/protocol";

/** A request that reached the configured path, body read and within limits. */
export interface ListenerRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  rawBody: string;
  ip: string;
}

export interface ListenerAnswer {
  status: number;
  /** A JSON object, or text when the server sends agent output as it is. */
  body: Record<string, unknown> | string;
  headers?: Record<string, string>;
}

export type Deliver = (request: ListenerRequest) => Promise<ListenerAnswer>;

/** Why a bind failed, in words an operator can act on. */
export function bindFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  if (error.code === "EADDRINUSE")
    return `Port ${port} on ${host} is already in use; choose another port (update the config) and start again`;
  if (error.code === "EACCES")
    return `Not permitted to listen on port ${port} on ${host}; ports below 1024 need privileges, choose a higher one`;
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND")
    return `Address ${host} is not an address of this machine; use 0.0.0.0, 127.0.0.1 or one of its own addresses`;
  return `Could not listen on ${host}:${port}: ${error.message}`;
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, PUT, PATCH, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-request-id",
  "access-control-max-age": "600",
};

/**
 * One input server: a node:http listener of its own on the configured host and port. It owns the
 * transport concerns (path, method, body size, concurrency, CORS); `deliver` decides the rest.
 */
export class InputListener {
  readonly startedAt = Date.now();
  processed = 0;
  failed = 0;
  private latencySumMs = 0;
  private inFlight = 0;
  private readonly server: Server;

  constructor(
    private readonly config: HttpInputConfig,
    private readonly deliver: Deliver,
    private readonly onAnswered: (ms: number, failed: boolean) => void = () => {},
  ) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        if (!response.headersSent) this.send(response, { status: 500, body: { error: "Internal error" } });
        else response.destroy();
      });
    });
    // Slow or stalled senders must not hold connections forever.
    this.server.requestTimeout = 60_000;
    this.server.headersTimeout = 15_000;
  }

  listen(): Promise<void> {
    const { bind_address: host, port } = this.config;
    return new Promise((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(new Error(bindFailure(error, host, port)));
      this.server.once("error", failed);
      this.server.listen({ host, port }, () => {
        this.server.off("error", failed);
        resolve();
      });
    });
  }

  /** Releases the port: stops accepting, ends idle and in-flight connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.config.port;
  }

  get url(): string {
    const host = this.config.bind_address;
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    return `http://${shown}:${this.port}${this.config.path}`;
  }

  get activeConnections(): number {
    return this.inFlight;
  }

  get averageLatencyMs(): number {
    return this.processed === 0 ? 0 : Math.round((this.latencySumMs / this.processed) * 1000) / 1000;
  }

  private send(response: ServerResponse, answer: ListenerAnswer): void {
    const json = typeof answer.body !== "string";
    const text = json ? JSON.stringify(answer.body) : (answer.body as string);
    response.writeHead(answer.status, {
      "content-type": json ? "application/json" : "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      ...(this.config.cors_enabled ? CORS_HEADERS : {}),
      ...answer.headers,
    });
    response.end(text);
  }

  private onPath(path: string): boolean {
    // Dot segments (also percent-encoded) would let a sender pick a path_prefix rule it is not under.
    if (path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return false;
    const base = this.config.path;
    return path === base || path.startsWith(base.endsWith("/") ? base : `${base}/`);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    let failed = true;
    try {
      const answer = await this.answer(request);
      if (answer === undefined) {
        // A CORS preflight: answered, and no delivery.
        response.writeHead(204, CORS_HEADERS);
        response.end();
        failed = false;
        return;
      }
      failed = answer.status >= 400;
      // Whatever of the body was not read is drained, so the answer reaches the sender.
      request.resume();
      this.send(response, answer);
    } finally {
      const ms = performance.now() - started;
      this.processed++;
      if (failed) this.failed++;
      this.latencySumMs += ms;
      this.onAnswered(ms, failed);
    }
  }

  /** The answer to one request, or undefined for a CORS preflight. */
  private async answer(request: IncomingMessage): Promise<ListenerAnswer | undefined> {
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = request.method ?? "GET";
    const refuse = (status: number, error: string, headers: Record<string, string> = {}): ListenerAnswer => ({
      status,
      body: { error },
      headers,
    });
    if (!this.onPath(path)) return refuse(404, `Nothing here; deliveries go to ${this.config.path}`);
    if (method === "OPTIONS" && this.config.cors_enabled) return undefined;
    if (method !== "POST" && method !== "PUT" && method !== "PATCH")
      return refuse(405, "Deliveries are POST (or PUT, PATCH) requests", { allow: "POST, PUT, PATCH" });
    const tooLarge = `The body exceeds this server's ${this.config.max_body_bytes} bytes`;
    if (Number(request.headers["content-length"] ?? 0) > this.config.max_body_bytes)
      return refuse(413, tooLarge);
    if (this.inFlight >= this.config.concurrency)
      return refuse(503, "Too many deliveries in progress; retry shortly", { "retry-after": "1" });
    this.inFlight++;
    try {
      const rawBody = await readBody(request, this.config.max_body_bytes);
      if (rawBody === undefined) return refuse(413, tooLarge);
      return await this.deliver({
        method,
        path,
        headers: request.headers,
        rawBody,
        ip: request.socket.remoteAddress ?? "",
      });
    } finally {
      this.inFlight--;
    }
  }
}

/**
 * The body as UTF-8 text, or undefined when it grows past `limit` bytes. An oversized body is read
 * to its end (unkept) so the sender gets its 413; one far beyond the limit has its connection cut.
 */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit + 1024 * 1024) request.destroy();
      else if (size <= limit) chunks.push(chunk);
    });
    request.on("close", () => resolve(undefined));
    request.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
