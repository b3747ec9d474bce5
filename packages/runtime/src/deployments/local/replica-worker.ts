/**
 * A deployment replica: one small process serving one agent.
 *
 * It listens on loopback (a port of its own, or SYMBIONT_REPLICA_PORT on Kubernetes) and turns each
 * `POST /invoke {"input": "..."}` into a run of its agent through the runtime's API
 * (`POST /agents/{id}/execute`), passing the caller's own `Authorization` on. The replica holds no
 * credential: the runtime authenticates the caller, checks its permissions and tenant, and runs the
 * agent through its RunService, so policies, gates and approvals apply as to any run.
 * `GET /healthz` answers while it is up (the Kubernetes probes use it).
 *
 * Under the local supervisor it talks to its parent over the IPC channel: `ready` with its URL once
 * listening, then a heartbeat every second; when the channel closes (the runtime died) it exits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

const MAX_BODY_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 1000;

const apiUrl = process.env.SYMBIONT_REPLICA_API_URL ?? "";
const agentId = process.env.SYMBIONT_REPLICA_AGENT_ID ?? "";
const deploymentId = process.env.SYMBIONT_REPLICA_DEPLOYMENT_ID ?? "";
const replica = process.env.SYMBIONT_REPLICA_INDEX ?? "0";
const timeoutSeconds = Number(process.env.SYMBIONT_REPLICA_TIMEOUT_SECONDS ?? "") || undefined;
const port = Number(process.env.SYMBIONT_REPLICA_PORT ?? "0");
const host = process.env.SYMBIONT_REPLICA_HOST ?? "127.0.0.1";

if (!/^https?:\/\//.test(apiUrl) || !agentId) {
  console.error("replica: SYMBIONT_REPLICA_API_URL and SYMBIONT_REPLICA_AGENT_ID must be set");
  process.exit(2);
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function invoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const authorization = request.headers.authorization;
  if (!authorization) {
    answer(response, 401, {
      error: "Missing credential: send `Authorization: Bearer <API key>`",
      code: "UNAUTHENTICATED",
    });
    return;
  }
  const text = await readBody(request);
  if (text === null) {
    answer(response, 413, { error: `The body is over ${MAX_BODY_BYTES} bytes`, code: "PAYLOAD_TOO_LARGE" });
    return;
  }
  let input: unknown;
  try {
    input = (JSON.parse(text) as { input?: unknown }).input;
  } catch {
    input = undefined;
  }
  if (typeof input !== "string") {
    answer(response, 400, {
      error: 'Invalid request: body.input: send a JSON body like {"input": "your question"}',
      code: "VALIDATION_FAILED",
      details: { issues: [{ field: "body.input", message: "must be a string" }] },
    });
    return;
  }
  const started = Date.now();
  const upstream = await fetch(`${apiUrl}/agents/${encodeURIComponent(agentId)}/execute`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({
      input,
      ...(timeoutSeconds ? { limits: { timeout_seconds: timeoutSeconds } } : {}),
    }),
  });
  const body = await upstream.text();
  const run = (() => {
    try {
      return JSON.parse(body) as { id?: string; status?: string };
    } catch {
      return {};
    }
  })();
  console.log(
    `invoke -> ${upstream.status}${run.id ? ` run ${run.id} ${run.status}` : ""} in ${Date.now() - started} ms`,
  );
  response.writeHead(upstream.status, { "content-type": "application/json" });
  response.end(body);
}

const server = createServer((request, response) => {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method === "GET" && path === "/healthz") {
    answer(response, 200, {
      status: "ok",
      agent_id: agentId,
      deployment_id: deploymentId,
      replica: Number(replica),
    });
    return;
  }
  if (request.method === "POST" && path === "/invoke") {
    invoke(request, response).catch((error: unknown) => {
      console.error(`invoke failed: ${(error as Error).message}`);
      if (!response.headersSent)
        answer(response, 502, { error: "The runtime could not be reached", code: "BAD_GATEWAY" });
    });
    return;
  }
  answer(response, 404, { error: "Not found: POST /invoke or GET /healthz", code: "NOT_FOUND" });
});

server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const url = `http://${host}:${bound}/invoke`;
  console.log(`replica ${replica} of deployment ${deploymentId} serves agent ${agentId} at ${url}`);
  if (process.send) {
    process.send({ type: "ready", url });
    setInterval(() => process.send?.({ type: "heartbeat" }), HEARTBEAT_MS).unref();
  }
});

// The supervisor is gone (the runtime died): a replica never outlives it.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => {
  console.log("SIGTERM: closing");
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
