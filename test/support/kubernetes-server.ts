import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form JSON that tests read by path
export type KubeObject = Record<string, any>;

/**
 * A local server speaking the Kubernetes API for the calls the executor makes: ConfigMaps and
 * Secrets (v1) and Deployments with their scale subresource (apps/v1), create / read / replace /
 * patch / delete, answering with real Kubernetes JSON (objects with uid and resourceVersion,
 * `Status` objects for errors, Secrets' stringData folded into base64 data). A Deployment's pods
 * "become ready" `readyAfterMs` after it is applied, as a controller would report.
 */
export interface KubernetesApiServer {
  url: string;
  /** Every request: method, path, content type and bearer token. */
  requests: {
    method: string;
    path: string;
    contentType: string | undefined;
    authorization: string | undefined;
  }[];
  object(
    kind: "configmaps" | "secrets" | "deployments",
    namespace: string,
    name: string,
  ): KubeObject | undefined;
  /** While true, every request answers 500 (an API server in trouble). */
  failing: boolean;
  /** A kubeconfig (YAML) pointing at this server. */
  kubeconfig(): string;
  close(): Promise<void>;
}

const ROUTE =
  /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([a-z0-9-]+)\/(configmaps|secrets|deployments)(?:\/([a-z0-9.-]+))?(\/scale)?$/;

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  response.writeHead(code, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
    }),
  );
}

function send(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<KubeObject> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as KubeObject;
}

export async function startKubernetesApiServer(
  options: { readyAfterMs?: number } = {},
): Promise<KubernetesApiServer> {
  const objects = new Map<string, KubeObject>();
  const requests: KubernetesApiServer["requests"] = [];
  const timers = new Set<NodeJS.Timeout>();
  let version = 1;
  const keyOf = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

  const stored = (kind: string, namespace: string, body: KubeObject, previous?: KubeObject) => {
    const object = structuredClone(body);
    object.metadata = {
      ...object.metadata,
      namespace,
      uid: previous?.metadata?.uid ?? randomUUID(),
      resourceVersion: String(version++),
      creationTimestamp:
        previous?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    if (kind === "secrets" && object.stringData) {
      object.data = Object.fromEntries(
        Object.entries(object.stringData as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v).toString("base64"),
        ]),
      );
      delete object.stringData;
    }
    if (kind === "deployments") {
      object.metadata.generation = (previous?.metadata?.generation ?? 0) + 1;
      object.status = {
        observedGeneration: object.metadata.generation,
        replicas: object.spec.replicas,
        readyReplicas: 0,
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        const current = objects.get(keyOf(kind, namespace, object.metadata.name));
        if (current && current.metadata.uid === object.metadata.uid)
          current.status = {
            ...current.status,
            readyReplicas: current.spec.replicas,
            availableReplicas: current.spec.replicas,
            conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
          };
      }, options.readyAfterMs ?? 100);
      timers.add(timer);
    }
    return object;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0] as string;
    requests.push({
      method: request.method ?? "",
      path,
      contentType: request.headers["content-type"],
      authorization: request.headers.authorization,
    });
    if (api.failing) return status(response, 500, "InternalError", "etcdserver: request timed out");
    const match = ROUTE.exec(path);
    if (!match) return status(response, 404, "NotFound", `the server could not find the requested resource`);
    const [, namespace, kind, name, scale] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    const method = request.method;
    if (!name) {
      if (method !== "POST") return status(response, 405, "MethodNotAllowed", `${method} is not supported`);
      const body = await readJson(request);
      const objectName = body.metadata?.name as string | undefined;
      if (!objectName) return status(response, 422, "Invalid", "metadata.name: Required value");
      if (objects.has(keyOf(kind, namespace, objectName)))
        return status(response, 409, "AlreadyExists", `${kind} "${objectName}" already exists`);
      const object = stored(kind, namespace, body);
      objects.set(keyOf(kind, namespace, objectName), object);
      return send(response, 201, object);
    }
    const key = keyOf(kind, namespace, name);
    const existing = objects.get(key);
    if (!existing) return status(response, 404, "NotFound", `${kind} "${name}" not found`);
    if (scale) {
      if (kind !== "deployments") return status(response, 404, "NotFound", "no scale subresource");
      if (method === "PATCH") {
        if (request.headers["content-type"] !== "application/merge-patch+json")
          return status(
            response,
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format",
          );
        const patch = await readJson(request);
        existing.spec.replicas = patch.spec?.replicas ?? existing.spec.replicas;
        existing.status = {
          ...existing.status,
          replicas: existing.spec.replicas,
          readyReplicas: Math.min(existing.status.readyReplicas ?? 0, existing.spec.replicas),
        };
        existing.metadata.resourceVersion = String(version++);
      } else if (method !== "GET")
        return status(response, 405, "MethodNotAllowed", `${method} is not supported`);
      return send(response, 200, {
        kind: "Scale",
        apiVersion: "autoscaling/v1",
        metadata: {
          name,
          namespace,
          uid: existing.metadata.uid,
          resourceVersion: existing.metadata.resourceVersion,
        },
        spec: { replicas: existing.spec.replicas },
        status: { replicas: existing.status.replicas, selector: `app.kubernetes.io/instance=${name}` },
      });
    }
    if (method === "GET") return send(response, 200, existing);
    if (method === "PUT") {
      const object = stored(kind, namespace, await readJson(request), existing);
      objects.set(key, object);
      return send(response, 200, object);
    }
    if (method === "DELETE") {
      objects.delete(key);
      return send(response, 200, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, kind },
      });
    }
    return status(response, 405, "MethodNotAllowed", `${method} is not supported`);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      status(response, 500, "InternalError", (error as Error).message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api: KubernetesApiServer = {
    url,
    requests,
    failing: false,
    object: (kind, namespace, name) => objects.get(keyOf(kind, namespace, name)),
    kubeconfig: () =>
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: local",
        "  cluster:",
        `    server: ${url}`,
        "    insecure-skip-tls-verify: true",
        "users:",
        "- name: tester",
        "  user:",
        "    token: local-cluster-token",
        "contexts:",
        "- name: local",
        "  context:",
        "    cluster: local",
        "    user: tester",
        "current-context: local",
        "",
      ].join("\n"),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
