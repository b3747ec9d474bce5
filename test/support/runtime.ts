import { type Config, loadConfig, type Runtime, type StartOptions, startRuntime } from "@symbiont/runtime";
import { afterAll, beforeAll } from "vitest";
import type { DatabaseTarget, FreshDatabase } from "./databases.js";

export const TEST_API_KEY = "test-key-0123456789abcdef";

export interface TestRuntime {
  runtime: Runtime;
  /** The runtime's API base, e.g. http://127.0.0.1:PORT/api/v1 */
  api: string;
  /** fetch against the API with the admin key unless `headers.authorization` says otherwise. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: unknown;
    text: string;
    headers: Headers;
  }>;
  close(): Promise<void>;
}

export async function startTestRuntime(
  database: FreshDatabase,
  overrides: Partial<Config> = {},
  options: StartOptions = {},
): Promise<TestRuntime> {
  const config = loadConfig({
    env: {},
    flags: {
      port: 0,
      logLevel: "silent",
      dataDir: database.dataDir,
      databaseUrl: database.databaseUrl,
      apiKey: TEST_API_KEY,
      ...overrides,
    },
  });
  const runtime = await startRuntime(config, options);
  const api = runtime.apiUrl;
  return {
    runtime,
    api,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${TEST_API_KEY}`, ...options.headers };
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${api}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, text, headers: response.headers };
    },
    close: () => runtime.close(),
  };
}

export function sampleAgent(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `Agent ${id}`,
    description: "answers questions",
    system_prompt: "You are helpful.",
    tools: ["search"],
    model: "llama3.2",
    temperature: 0.7,
    top_p: 0.9,
    max_tokens: 1024,
    ...overrides,
  };
}

/**
 * A runtime on a fresh database of `target` for the enclosing describe block: started before its
 * tests, stopped and removed after. The returned object forwards to it once it has started.
 */
export function useTestRuntime(target: DatabaseTarget, overrides: Partial<Config> = {}): TestRuntime {
  let database: FreshDatabase | undefined;
  let server: TestRuntime | undefined;
  beforeAll(async () => {
    database = await target.create();
    server = await startTestRuntime(database, overrides);
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });
  const started = () => {
    if (!server) throw new Error("the test runtime is used before beforeAll started it");
    return server;
  };
  return {
    get runtime() {
      return started().runtime;
    },
    get api() {
      return started().api;
    },
    call: (...args) => started().call(...args),
    close: () => started().close(),
  };
}
