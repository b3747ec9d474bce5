import { afterEach, describe, expect, it } from "vitest";
import { json, type ScriptedServer, startServer, testClient } from "../../test-support/http-server.js";
import { SymbiontError } from "../errors.js";
import type { AgentCreateRequest, AgentDefinition } from "../types.js";

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const agent: AgentCreateRequest = {
  id: "writer",
  name: "Writer",
  description: "Drafts release notes",
  system_prompt: "You write clearly.",
  tools: ["search"],
  model: "gpt-4o",
  temperature: 0.3,
  top_p: 1,
  max_tokens: 1024,
};

function definition(id: string): AgentDefinition {
  const { id: _ignored, ...fields } = agent;
  return {
    id,
    ...fields,
    state: "idle",
    version: 1,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
  };
}

describe("agents", () => {
  it("creates an agent by POSTing it as JSON and returns the server's answer", async () => {
    const created = {
      id: "writer",
      agent_id: "writer",
      status: "created",
      state: "idle",
      created_at: "2025-01-01T00:00:00Z",
    };
    server = await startServer(json(201, created));
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.create(agent)).resolves.toEqual(created);
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe("/api/v1/agents");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request!.body)).toEqual(agent);
  });

  it("sends each agent method to its route's method and path", async () => {
    server = await startServer(json(200, {}));
    const { client } = testClient(server.baseUrl);
    await client.agents.list();
    await client.agents.status("writer");
    await client.agents.metrics("writer");
    await client.agents.get("writer");
    await client.agents.update("writer", { temperature: 0.5, model: null });
    await client.agents.delete("writer");
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /api/v1/agents",
      "GET /api/v1/agents/writer",
      "GET /api/v1/agents/writer/metrics",
      "GET /api/v1/agents/writer/definition",
      "PATCH /api/v1/agents/writer",
      "DELETE /api/v1/agents/writer",
    ]);
    expect(JSON.parse(server.requests[4]!.body)).toEqual({ temperature: 0.5, model: null });
  });

  it("percent-encodes agent ids in the path", async () => {
    server = await startServer(json(200, {}));
    const { client } = testClient(server.baseUrl);
    await client.agents.status("a/b");
    await client.agents.get("x y?#%");
    expect(server.requests.map((r) => r.url)).toEqual([
      "/api/v1/agents/a%2Fb",
      "/api/v1/agents/x%20y%3F%23%25/definition",
    ]);
  });

  it("refuses empty and dots-only ids, which URL normalisation would turn into another route", async () => {
    server = await startServer(json(200, {}));
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.status("")).rejects.toBeInstanceOf(SymbiontError);
    await expect(client.agents.delete("..")).rejects.toThrow('Invalid agent id ".."');
    expect(server.requests).toHaveLength(0);
  });

  it("asks for one page of definitions with limit and cursor as query parameters", async () => {
    const page = { items: [definition("a")], next_cursor: "c2" };
    server = await startServer(json(200, page));
    const { client } = testClient(server.baseUrl);
    await expect(client.agents.listDefinitions({ limit: 1, cursor: "c1" })).resolves.toEqual(page);
    await client.agents.listDefinitions();
    expect(server.requests.map((r) => r.url)).toEqual([
      "/api/v1/agent-definitions?limit=1&cursor=c1",
      "/api/v1/agent-definitions",
    ]);
  });
});

describe("definitions() iterates every page", () => {
  it("walks all pages by next_cursor and yields every definition in order", async () => {
    server = await startServer((res, req) => {
      const cursor = new URL(req.url, "http://x").searchParams.get("cursor");
      const pages: Record<string, { items: AgentDefinition[]; next_cursor: string | null }> = {
        start: { items: [definition("a"), definition("b")], next_cursor: "p2" },
        p2: { items: [definition("c"), definition("d")], next_cursor: "p3" },
        p3: { items: [definition("e")], next_cursor: null },
      };
      json(200, pages[cursor ?? "start"])(res, req);
    });
    const { client } = testClient(server.baseUrl);
    const ids: string[] = [];
    for await (const found of client.agents.definitions({ limit: 2 })) ids.push(found.id);
    expect(ids).toEqual(["a", "b", "c", "d", "e"]);
    expect(server.requests.map((r) => r.url)).toEqual([
      "/api/v1/agent-definitions?limit=2",
      "/api/v1/agent-definitions?limit=2&cursor=p2",
      "/api/v1/agent-definitions?limit=2&cursor=p3",
    ]);
  });

  it("fetches no further page once the loop stops early", async () => {
    server = await startServer(json(200, { items: [definition("a"), definition("b")], next_cursor: "more" }));
    const { client } = testClient(server.baseUrl);
    for await (const found of client.agents.definitions()) {
      expect(found.id).toBe("a");
      break;
    }
    expect(server.requests).toHaveLength(1);
  });

  it("fails instead of looping forever when the server repeats a cursor", async () => {
    server = await startServer(json(200, { items: [definition("a")], next_cursor: "same" }));
    const { client } = testClient(server.baseUrl);
    const seen: string[] = [];
    const walk = async () => {
      for await (const found of client.agents.definitions()) seen.push(found.id);
    };
    await expect(walk()).rejects.toThrow("same page cursor twice");
    expect(seen).toEqual(["a", "a"]);
    expect(server.requests).toHaveLength(2);
  });
});
