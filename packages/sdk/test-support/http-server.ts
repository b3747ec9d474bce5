import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SymbiontClient } from "../src/client.js";
import type { ClientOptions } from "../src/options.js";
import { type RetryTiming, sleep } from "../src/retry.js";

export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as they arrived, percent-encoding intact. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = (res: ServerResponse, req: ReceivedRequest) => void;

export interface ScriptedServer {
  /** The API base the SDK should use: `http://127.0.0.1:<port>/api/v1`. */
  baseUrl: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that answers request n with `replies[n]`, repeating the last reply
 * once the script runs out.
 */
export async function startServer(...replies: Reply[]): Promise<ScriptedServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(received);
      const reply = replies[Math.min(requests.length, replies.length) - 1];
      if (!reply) throw new Error("startServer needs at least one reply");
      reply(res, received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { "Content-Type": "text/plain", ...headers });
    res.end(body);
  };
}

export function errorBody(status: number, code: string, error: string, details: unknown = null): Reply {
  return json(status, { error, code, details, request_id: "req-1" });
}

/** Never answers; the client has to give up on its own. */
export const hang: Reply = () => {};

/** Drops the connection without an HTTP answer, as a crashing server or a reset does. */
export const reset: Reply = (res) => {
  res.socket?.destroy();
};

/** A port nothing listens on, so connecting to it is refused. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const API_KEY = "sym_test_5ecret_k3y_value";

/**
 * A client isolated from the machine's environment and .env, whose retry pauses are recorded and
 * cut to nothing so tests count attempts instead of waiting for them.
 */
export function testClient(
  baseUrl: string,
  options: ClientOptions = {},
  retry: Partial<RetryTiming> = {},
): { client: SymbiontClient; delays: number[] } {
  const delays: number[] = [];
  const client = new SymbiontClient(
    { baseUrl, apiKey: API_KEY, ...options },
    {
      env: {},
      cwd: null,
      retry: {
        sleep: async (ms, signal) => {
          delays.push(ms);
          await sleep(0, signal);
        },
        ...retry,
      },
    },
  );
  return { client, delays };
}
