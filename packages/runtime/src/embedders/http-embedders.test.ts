import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";
import { CachingEmbedder } from "./embedder.js";
import { HashingEmbedder } from "./hashing-embedder.js";
import { OllamaEmbedder, OpenAiEmbedder } from "./http-embedders.js";

/**
 * A local server speaking Ollama's /api/embed and OpenAI's /v1/embeddings, answering with a hashing
 * embedder's vectors (so results are known), recording every request, and failing on demand.
 */
function embeddingServer() {
  const model = new HashingEmbedder(64);
  const requests: { path: string; body: Record<string, unknown>; authorization: string | undefined }[] = [];
  let failWith: number | null = null;
  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = "";
      request.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      request.on("end", () => resolve(text));
    });
  const server: Server = createServer(async (request, response) => {
    const body = JSON.parse(await read(request)) as { model: string; input: string[]; dimensions?: number };
    requests.push({ path: request.url ?? "", body, authorization: request.headers.authorization });
    response.setHeader("content-type", "application/json");
    if (failWith !== null) {
      response.statusCode = failWith;
      response.end(JSON.stringify({ error: "model not loaded" }));
      return;
    }
    const vectors = body.input.map((text) => Array.from(model.embedOne(text)));
    if (request.url === "/api/embed") {
      response.end(JSON.stringify({ model: body.model, embeddings: vectors }));
    } else if (request.url === "/v1/embeddings") {
      if (request.headers.authorization !== "Bearer sk-test") {
        response.statusCode = 401;
        response.end(JSON.stringify({ error: { message: "Incorrect API key provided" } }));
        return;
      }
      // Reversed on purpose: clients must order by `index`.
      const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding })).reverse();
      response.end(
        JSON.stringify({
          object: "list",
          data,
          model: body.model,
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    } else {
      response.statusCode = 404;
      response.end("{}");
    }
  });
  return {
    requests,
    model,
    fail(status: number | null) {
      failWith = status;
    },
    async start() {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("HTTP embedders against a local server speaking their protocols", () => {
  const fake = embeddingServer();
  let url = "";
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.close());

  it("Ollama: batches texts per request and returns the server's vectors in order", async () => {
    fake.requests.length = 0;
    const ollama = new OllamaEmbedder({ url, model: "nomic-embed-text", batchSize: 2, timeoutMs: 5_000 });
    const texts = ["one", "two", "three", "four", "five"];
    const vectors = await ollama.embed(texts);
    expect(fake.requests.map((r) => r.body.input)).toEqual([["one", "two"], ["three", "four"], ["five"]]);
    expect(fake.requests[0]).toMatchObject({ path: "/api/embed", body: { model: "nomic-embed-text" } });
    vectors.forEach((vector, i) => {
      expect(Array.from(vector)).toEqual(Array.from(fake.model.embedOne(texts[i] as string)));
    });
    expect(await ollama.dimensions()).toBe(64);
  });

  it("OpenAI-compatible: sends the key and dimensions, orders results by index", async () => {
    fake.requests.length = 0;
    const openai = new OpenAiEmbedder({
      url: `${url}/v1`,
      model: "text-embedding-3-small",
      apiKey: "sk-test",
      dimensions: 64,
      batchSize: 16,
      timeoutMs: 5_000,
    });
    const vectors = await openai.embed(["alpha", "beta", "gamma"]);
    expect(fake.requests[0]).toMatchObject({
      path: "/v1/embeddings",
      authorization: "Bearer sk-test",
      body: { dimensions: 64, input: ["alpha", "beta", "gamma"] },
    });
    expect(Array.from(vectors[2] as Float32Array)).toEqual(Array.from(fake.model.embedOne("gamma")));
    const wrongKey = new OpenAiEmbedder({
      url: `${url}/v1`,
      model: "m",
      apiKey: "sk-wrong",
      batchSize: 16,
      timeoutMs: 5_000,
    });
    await expect(wrongKey.embed(["x"])).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("answered 401"),
    });
  });

  it("caches: a text embedded once is not sent again", async () => {
    fake.requests.length = 0;
    const cached = new CachingEmbedder(
      new OllamaEmbedder({ url, model: "m", batchSize: 8, timeoutMs: 5_000 }),
    );
    await cached.embed(["repeat me", "and me"]);
    await cached.embed(["repeat me"]);
    await cached.embed(["and me", "new one"]);
    expect(fake.requests.map((r) => r.body.input)).toEqual([["repeat me", "and me"], ["new one"]]);
  });

  it("turns a failing or unreachable server into 503-class errors naming it", async () => {
    fake.fail(500);
    const ollama = new OllamaEmbedder({ url, model: "m", batchSize: 8, timeoutMs: 5_000 });
    await expect(ollama.embed(["x"])).rejects.toMatchObject({
      code: "UNAVAILABLE",
      status: 503,
      message: expect.stringContaining("model not loaded"),
    });
    fake.fail(null);
    const nowhere = new OllamaEmbedder({
      url: "http://127.0.0.1:9",
      model: "m",
      batchSize: 8,
      timeoutMs: 2_000,
    });
    await expect(nowhere.embed(["x"])).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("could not be reached"),
    });
  });
});

describe("the runtime with an Ollama embedder", () => {
  const fake = embeddingServer();
  let server: TestRuntime;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const url = await fake.start();
    const database = await databaseTargets[0]!.create();
    dispose = database.dispose;
    server = await startTestRuntime(database, {
      embedder: "ollama",
      embedderUrl: url,
      embedderModel: "nomic-embed-text",
    });
  });
  afterAll(async () => {
    await server.close();
    await dispose();
    await fake.close();
  });

  it("stores and finds memories and knowledge through the remote model", async () => {
    await server.call("POST", "/memory", {
      body: {
        content: { text: "the cat sleeps on the red sofa" },
        memory_type: "fact",
        memory_level: "long_term",
        agent_id: "o",
      },
    });
    const found = (
      await server.call("POST", "/memory/search", {
        body: { agent_id: "o", query: "where does the cat sleep" },
      })
    ).body as { memories: { content: { text: string } }[] };
    expect(found.memories[0]?.content.text).toBe("the cat sleeps on the red sofa");
    const text = "Remote embeddings still find identical text.";
    await server.call("POST", "/knowledge", {
      body: { id: "o-k", content: text, metadata: { source: "s", source_type: "document" } },
    });
    const search = (await server.call("POST", "/knowledge/search", { body: { query: text } })).body as {
      results: { similarity_score: number }[];
    };
    expect(search.results[0]?.similarity_score).toBeGreaterThanOrEqual(0.99);
    expect(fake.requests.every((r) => r.path === "/api/embed" && r.body.model === "nomic-embed-text")).toBe(
      true,
    );
  });

  it("answers 503 with the error shape when the model server fails, and stores nothing", async () => {
    fake.fail(500);
    const failed = await server.call("POST", "/memory", {
      body: {
        content: { text: "never stored" },
        memory_type: "fact",
        memory_level: "long_term",
        agent_id: "o",
      },
    });
    fake.fail(null);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({
      code: "UNAVAILABLE",
      error: expect.stringContaining("ollama:nomic-embed-text"),
    });
    const listed = (await server.call("GET", "/memory/agent?agent_id=o&limit=10")).body as {
      total_count: number;
    };
    expect(listed.total_count).toBe(1);
  });
});
