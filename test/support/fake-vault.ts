import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for HashiCorp Vault that speaks its HTTP API for exactly the calls the runtime makes:
 * token lookup-self and renew-self, AppRole and Kubernetes login, and KV v2 data, destroy and
 * metadata. Tokens expire, namespaces separate data, and errors come as Vault's `{"errors": [...]}`.
 * No Vault server can be installed on our machines; this is the only test double of the suite.
 */
export interface FakeVaultOptions {
  /** When set, every request must carry this X-Vault-Namespace. */
  namespace?: string;
  tokenTtlSeconds?: number;
  approle?: { roleId: string; secretId: string };
  kubernetes?: { role: string; jwt: string };
  now?: () => number;
}

interface Token {
  expiresAt: number;
  renewable: boolean;
}

interface KvVersion {
  data: Record<string, unknown>;
  destroyed: boolean;
  created: string;
}

export interface FakeVault {
  url: string;
  /** A root-like token for direct use, valid forever. */
  rootToken: string;
  /** Issues a token that expires after `ttlSeconds`. */
  issueToken(ttlSeconds: number): string;
  requests: { method: string; path: string; namespace: string | undefined; token: string | undefined }[];
  kv: Map<string, KvVersion[]>;
  sealed: boolean;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startFakeVault(options: FakeVaultOptions = {}): Promise<FakeVault> {
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtlSeconds ?? 3600;
  const tokens = new Map<string, Token>();
  const rootToken = `hvs.root-${randomUUID()}`;
  tokens.set(rootToken, { expiresAt: Number.POSITIVE_INFINITY, renewable: false });
  const issueToken = (seconds: number) => {
    const token = `hvs.${randomUUID()}`;
    tokens.set(token, { expiresAt: now() + seconds * 1000, renewable: true });
    return token;
  };
  const authBlock = (token: string, seconds: number) => ({
    auth: { client_token: token, lease_duration: seconds, renewable: true, policies: ["default"] },
  });
  const state: FakeVault = {
    url: "",
    rootToken,
    issueToken,
    requests: [],
    kv: new Map(),
    sealed: false,
    close: async () => {},
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://vault");
    const namespace = req.headers["x-vault-namespace"] as string | undefined;
    const tokenHeader = req.headers["x-vault-token"] as string | undefined;
    state.requests.push({ method: req.method ?? "", path: url.pathname, namespace, token: tokenHeader });
    if (state.sealed) return send(res, 503, { errors: ["Vault is sealed"] });
    if (options.namespace !== undefined && namespace !== options.namespace) {
      return send(res, 403, { errors: ["permission denied"] });
    }
    const path = url.pathname.replace(/^\/v1\//, "");
    const body = req.method === "GET" || req.method === "DELETE" ? {} : await bodyOf(req);

    if (req.method === "POST" && path === "auth/approle/login") {
      const role = options.approle;
      if (!role || body.role_id !== role.roleId || body.secret_id !== role.secretId) {
        return send(res, 400, { errors: ["invalid role or secret ID"] });
      }
      return send(res, 200, authBlock(issueToken(ttl), ttl));
    }
    if (req.method === "POST" && path === "auth/kubernetes/login") {
      const k8s = options.kubernetes;
      if (!k8s || body.role !== k8s.role || body.jwt !== k8s.jwt) {
        return send(res, 403, { errors: ["permission denied"] });
      }
      return send(res, 200, authBlock(issueToken(ttl), ttl));
    }

    const token = tokenHeader ? tokens.get(tokenHeader) : undefined;
    if (!token || token.expiresAt <= now()) return send(res, 403, { errors: ["permission denied"] });

    if (req.method === "GET" && path === "auth/token/lookup-self") {
      const remaining =
        token.expiresAt === Number.POSITIVE_INFINITY ? 0 : Math.floor((token.expiresAt - now()) / 1000);
      return send(res, 200, { data: { ttl: remaining, renewable: token.renewable, policies: ["default"] } });
    }
    if (req.method === "POST" && path === "auth/token/renew-self") {
      if (!token.renewable) return send(res, 400, { errors: ["lease is not renewable"] });
      token.expiresAt = now() + ttl * 1000;
      return send(res, 200, authBlock(tokenHeader as string, ttl));
    }

    const kv = /^([^/]+)\/(data|destroy|metadata)\/(.+)$/.exec(path);
    if (!kv) return send(res, 404, { errors: [`no handler for route "${path}"`] });
    const [, mount, kind, secretPath] = kv as unknown as [string, string, string, string];
    if (mount !== "secret") return send(res, 404, { errors: [`no handler for route "${path}"`] });
    const key = `${namespace ?? ""}|${decodeURIComponent(secretPath)}`;
    const versions = state.kv.get(key) ?? [];
    if (kind === "data" && req.method === "POST") {
      const data = body.data;
      if (!data || typeof data !== "object") return send(res, 400, { errors: ["no data provided"] });
      versions.push({
        data: data as Record<string, unknown>,
        destroyed: false,
        created: new Date(now()).toISOString(),
      });
      state.kv.set(key, versions);
      return send(res, 200, {
        data: { version: versions.length, created_time: new Date(now()).toISOString() },
      });
    }
    if (kind === "data" && req.method === "GET") {
      const wanted = Number(url.searchParams.get("version") ?? versions.length);
      const version = versions[wanted - 1];
      if (!version) return send(res, 404, { errors: [] });
      return send(res, version.destroyed ? 404 : 200, {
        data: {
          data: version.destroyed ? null : version.data,
          metadata: {
            version: wanted,
            destroyed: version.destroyed,
            deletion_time: "",
            created_time: version.created,
          },
        },
      });
    }
    if (kind === "destroy" && req.method === "POST") {
      for (const v of (body.versions as number[]) ?? []) {
        const version = versions[v - 1];
        if (version) {
          version.destroyed = true;
          version.data = {};
        }
      }
      return send(res, 204);
    }
    if (kind === "metadata" && req.method === "DELETE") {
      state.kv.delete(key);
      return send(res, 204);
    }
    return send(res, 405, { errors: ["unsupported operation"] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, { errors: [error.message] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
