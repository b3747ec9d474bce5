import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

interface Point {
  id: string | number;
  vector: number[];
  payload: Record<string, unknown>;
}

interface Condition {
  key: string;
  match: { value?: unknown; any?: unknown[] };
}

/**
 * A local server speaking the part of Qdrant's REST API the runtime uses (collection exists and
 * create, payload indexes, points upsert, delete by ids or filter, search with a `must` filter),
 * with Qdrant's `{result, status, time}` envelopes and brute-force search. Qdrant itself cannot be
 * installed here; this lets the production client and code path run over real HTTP.
 */
export function qdrantServer() {
  const collections = new Map<
    string,
    { size: number; distance: string; points: Map<string, Point>; indexes: Set<string> }
  >();
  const requests: { method: string; path: string; body: unknown }[] = [];
  let failing = false;
  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = "";
      request.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      request.on("end", () => resolve(text));
    });
  const matches = (point: Point, filter?: { must?: Condition[] }) =>
    (filter?.must ?? []).every((c) =>
      c.match.any ? c.match.any.includes(point.payload[c.key]) : point.payload[c.key] === c.match.value,
    );
  const score = (distance: string, a: number[], b: number[]) => {
    if (distance === "Euclid") return Math.sqrt(a.reduce((s, x, i) => s + (x - (b[i] ?? 0)) ** 2, 0));
    const dot = a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    if (distance === "Dot") return dot;
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    return dot / (norm(a) * norm(b));
  };
  const server = createServer(async (request, response) => {
    const text = await read(request);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const url = new URL(request.url ?? "/", "http://x");
    requests.push({ method: request.method ?? "", path: url.pathname, body });
    const reply = (status: number, result: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          status === 200
            ? { result, status: "ok", time: 0.0001 }
            : { status: { error: String(result) }, time: 0.0001 },
        ),
      );
    };
    if (failing) return reply(500, "Service internal error: disk full");
    if (url.pathname === "/")
      return reply(200, { title: "qdrant - vector search engine", version: "1.12.0" });
    const match = /^\/collections\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return reply(404, "Not found");
    const name = decodeURIComponent(match[1] as string);
    const rest = match[2] ?? "";
    const collection = collections.get(name);
    if (request.method === "GET" && rest === "/exists")
      return reply(200, { exists: collection !== undefined });
    if (request.method === "PUT" && rest === "") {
      if (collection) return reply(400, `Wrong input: Collection \`${name}\` already exists!`);
      const vectors = (body as { vectors: { size: number; distance: string } }).vectors;
      collections.set(name, {
        size: vectors.size,
        distance: vectors.distance,
        points: new Map(),
        indexes: new Set(),
      });
      return reply(200, true);
    }
    if (!collection) return reply(404, `Not found: Collection \`${name}\` doesn't exist!`);
    if (request.method === "PUT" && rest === "/index") {
      collection.indexes.add((body as { field_name: string }).field_name);
      return reply(200, { operation_id: 1, status: "completed" });
    }
    if (request.method === "PUT" && rest === "/points") {
      for (const point of (body as { points: Point[] }).points) {
        if (point.vector.length !== collection.size) {
          return reply(
            400,
            `Wrong input: Vector dimension error: expected dim: ${collection.size}, got ${point.vector.length}`,
          );
        }
        collection.points.set(String(point.id), point);
      }
      return reply(200, { operation_id: 2, status: "completed" });
    }
    if (request.method === "POST" && rest === "/points/delete") {
      const selector = body as { points?: (string | number)[]; filter?: { must?: Condition[] } };
      if (selector.points) for (const id of selector.points) collection.points.delete(String(id));
      if (selector.filter) {
        for (const [id, point] of collection.points)
          if (matches(point, selector.filter)) collection.points.delete(id);
      }
      return reply(200, { operation_id: 3, status: "completed" });
    }
    if (request.method === "POST" && rest === "/points/search") {
      const search = body as { vector: number[]; limit: number; filter?: { must?: Condition[] } };
      const scored = [...collection.points.values()]
        .filter((point) => matches(point, search.filter))
        .map((point) => ({
          id: point.id,
          version: 1,
          score: score(collection.distance, search.vector, point.vector),
          payload: point.payload,
        }))
        .sort((a, b) => (collection.distance === "Euclid" ? a.score - b.score : b.score - a.score))
        .slice(0, search.limit);
      return reply(200, scored);
    }
    return reply(404, `Not found: ${request.method} ${url.pathname}`);
  });
  return {
    collections,
    requests,
    fail(on: boolean) {
      failing = on;
    },
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
