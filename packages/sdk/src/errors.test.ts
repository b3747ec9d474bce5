import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  API_KEY,
  errorBody,
  hang,
  json,
  type Reply,
  type ScriptedServer,
  startServer,
  testClient,
  text,
  unusedPort,
} from "../test-support/http-server.js";
import {
  ApiError,
  AuthenticationError,
  AuthenticationExpiredError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  SymbiontError,
  TimeoutError,
  ValidationError,
} from "./errors.js";

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Sends one GET (or POST, to rule retries out) to a server answering `reply`, and returns what it threw. */
async function failureOf(reply: Reply, call: "get" | "post" = "get"): Promise<unknown> {
  server = await startServer(reply);
  const { client } = testClient(server.baseUrl, { maxRetries: 0 });
  const request =
    call === "get"
      ? client.agents.list()
      : client.agents.create({
          id: "x",
          name: "X",
          description: "",
          system_prompt: "",
          tools: [],
          model: "m",
          temperature: 1,
          top_p: 1,
          max_tokens: 10,
        });
  return request.then(
    () => expect.fail("the request should have failed"),
    (error: unknown) => error,
  );
}

describe("a non-2xx answer becomes the matching error class", () => {
  it("treats a 401 without the word expired as an AuthenticationError that is not the expired kind", async () => {
    const error = await failureOf(errorBody(401, "UNAUTHENTICATED", "invalid API key"));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).not.toBeInstanceOf(AuthenticationExpiredError);
    expect((error as AuthenticationError).code).toBe("UNAUTHENTICATED");
  });

  it("treats a 401 with code TOKEN_EXPIRED as an AuthenticationExpiredError", async () => {
    const error = await failureOf(errorBody(401, "TOKEN_EXPIRED", "the access token is no longer valid"));
    expect(error).toBeInstanceOf(AuthenticationExpiredError);
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it("treats a plain-text 401 mentioning EXPIRED in any case as an AuthenticationExpiredError", async () => {
    const error = await failureOf(text(401, "Token Expired at 12:00"));
    expect(error).toBeInstanceOf(AuthenticationExpiredError);
    expect((error as ApiError).code).toBeNull();
    expect((error as ApiError).body).toBe("Token Expired at 12:00");
  });

  it("says how to configure a key when a 401 answers a request sent without one", async () => {
    server = await startServer(errorBody(401, "UNAUTHENTICATED", "missing credential"));
    const { client } = testClient(server.baseUrl, { apiKey: undefined, maxRetries: 0 });
    const error = await client.agents.list().catch((e: unknown) => e);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect((error as Error).message).toContain("set SYMBIONT_API_KEY");
  });

  it("turns a 403 into a PermissionDeniedError carrying code, details and request id", async () => {
    const error = await failureOf(
      errorBody(403, "FORBIDDEN", "needs agents:read", { required: "agents:read" }),
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    const denied = error as PermissionDeniedError;
    expect(denied.status).toBe(403);
    expect(denied.details).toEqual({ required: "agents:read" });
    expect(denied.requestId).toBe("req-1");
  });

  it("turns a 404 into a NotFoundError, even when the body is not JSON", async () => {
    const error = await failureOf(text(404, "<html>nginx: not found</html>"));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).body).toBe("<html>nginx: not found</html>");
    expect((error as NotFoundError).message).toBe("GET /agents → 404: <html>nginx: not found</html>");
  });

  it("turns a 409 into a ConflictError whose message names method, path, status, code and reason", async () => {
    const error = await failureOf(errorBody(409, "CONFLICT", 'agent "x" already exists'), "post");
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(
      'POST /agents → 409 CONFLICT: agent "x" already exists (request_id req-1)',
    );
  });

  it("turns a 400 into a ValidationError with the issues from details.issues", async () => {
    const issues = [
      { field: "body.temperature", message: "must be between 0 and 2" },
      { field: "body.name", message: "must not be empty" },
    ];
    const error = await failureOf(errorBody(400, "VALIDATION_FAILED", "invalid request", { issues }), "post");
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual(issues);
    expect((error as Error).message).toContain("body.temperature: must be between 0 and 2; body.name");
  });

  it("turns a 422 without issues into a ValidationError with an empty issue list", async () => {
    const error = await failureOf(
      json(422, { error: "unprocessable", code: "VALIDATION_FAILED", details: null }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([]);
  });

  it("turns a 429 into a RateLimitError with the Retry-After seconds", async () => {
    const error = await failureOf((res) => {
      res.writeHead(429, { "Retry-After": "7", "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "slow down", code: "RATE_LIMITED", details: null }));
    }, "post");
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(7);
  });

  it("gives a RateLimitError a null retryAfter when the server sends no hint", async () => {
    const error = await failureOf(errorBody(429, "RATE_LIMITED", "slow down"), "post");
    expect((error as RateLimitError).retryAfter).toBeNull();
  });

  it("turns a 500 with an HTML body into a plain ApiError holding the raw text", async () => {
    const error = await failureOf(text(500, "<h1>Internal Server Error</h1>"));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect((error as ApiError).status).toBe(500);
    expect((error as ApiError).body).toBe("<h1>Internal Server Error</h1>");
  });

  it("falls back to the status text when an error body is empty", async () => {
    const error = await failureOf((res) => {
      res.writeHead(502, "Bad Gateway");
      res.end();
    });
    expect((error as Error).message).toBe("GET /agents → 502: Bad Gateway");
  });

  it("refuses a 2xx whose body is not JSON with a SymbiontError that is not an ApiError", async () => {
    const error = await failureOf(text(200, "OK"));
    expect(error).toBeInstanceOf(SymbiontError);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as Error).message).toContain("expected a JSON body");
  });

  it("names every class after itself so String(error) says what happened", async () => {
    const error = await failureOf(errorBody(409, "CONFLICT", "taken"), "post");
    expect(String(error)).toMatch(/^ConflictError: POST \/agents → 409 CONFLICT: taken/);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(SymbiontError);
    expect(error).toBeInstanceOf(Error);
  });
});

describe("the API key stays out of errors", () => {
  const echoKey: Reply = (res, req) => {
    res.writeHead(400, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        error: `bad header ${req.headers.authorization}`,
        code: "VALIDATION_FAILED",
        details: {
          issues: [{ field: "header.authorization", message: `${req.headers.authorization} is wrong` }],
        },
      }),
    );
  };

  it("never shows the key in the message, String(error) or inspect(error) of an error that echoes it", async () => {
    const replies: Reply[] = [
      echoKey,
      (res, req) => text(500, `auth=${req.headers.authorization}`)(res, req),
    ];
    for (const reply of replies) {
      await server?.close();
      const error = await failureOf(reply);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain("[redacted]");
      expect((error as Error).message).not.toContain(API_KEY);
      expect(String(error)).not.toContain(API_KEY);
      expect(inspect(error, { depth: 10 })).not.toContain(API_KEY);
    }
  });

  it("never shows the key in connection and timeout errors", async () => {
    const port = await unusedPort();
    const refused = await testClient(`http://127.0.0.1:${port}/api/v1`, { maxRetries: 0 })
      .client.agents.list()
      .catch((e: unknown) => e);
    server = await startServer(hang);
    const timedOut = await testClient(server.baseUrl, { maxRetries: 0, timeout: 50 })
      .client.agents.list()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    for (const error of [refused, timedOut]) {
      expect(String(error)).not.toContain(API_KEY);
      expect(inspect(error, { depth: 10 })).not.toContain(API_KEY);
    }
  });
});
