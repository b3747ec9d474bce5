import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, type ScriptedServer, startServer } from "../test-support/http-server.js";
import { SymbiontClient } from "./client.js";
import { parseDotEnv } from "./dotenv.js";
import { SymbiontError } from "./errors.js";
import { DEFAULT_BASE_URL, resolveOptions } from "./options.js";

let dir: string;
let server: ScriptedServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "symbiont-sdk-"));
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

function writeDotEnv(contents: string): void {
  writeFileSync(join(dir, ".env"), contents);
}

describe("client settings", () => {
  it("default to the local server, 30 s and 2 retries when nothing is configured", () => {
    const resolved = resolveOptions({}, { env: {}, cwd: dir });
    expect(resolved).toMatchObject({
      apiKey: undefined,
      baseUrl: DEFAULT_BASE_URL,
      timeout: 30_000,
      maxRetries: 2,
    });
    expect(DEFAULT_BASE_URL).toBe("http://localhost:8080/api/v1");
  });

  it("come from SYMBIONT_* environment variables for a client built with no arguments", async () => {
    server = await startServer(json(200, ["a"]));
    vi.stubEnv("SYMBIONT_API_KEY", "sym_from_env");
    vi.stubEnv("SYMBIONT_BASE_URL", `${server.baseUrl}/`);
    vi.stubEnv("SYMBIONT_TIMEOUT", "1234");
    vi.stubEnv("SYMBIONT_MAX_RETRIES", "4");
    const client = new SymbiontClient();
    expect([client.baseUrl, client.timeout, client.maxRetries]).toEqual([server.baseUrl, 1234, 4]);
    await expect(client.agents.list()).resolves.toEqual(["a"]);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sym_from_env");
  });

  it("take constructor options over environment variables", () => {
    const env = {
      SYMBIONT_API_KEY: "env",
      SYMBIONT_BASE_URL: "http://env:1",
      SYMBIONT_TIMEOUT: "1",
      SYMBIONT_MAX_RETRIES: "1",
    };
    const resolved = resolveOptions(
      { apiKey: "option", baseUrl: "http://option:2/api/v1", timeout: 2, maxRetries: 0 },
      { env, cwd: dir },
    );
    expect(resolved).toMatchObject({
      apiKey: "option",
      baseUrl: "http://option:2/api/v1",
      timeout: 2,
      maxRetries: 0,
    });
  });

  it("fall back to the .env file for variables the environment lacks", () => {
    writeDotEnv(
      [
        "# local development",
        "export SYMBIONT_API_KEY='sym_from_file'",
        'SYMBIONT_BASE_URL="http://dotenv.test:9000/api/v1/"',
        "SYMBIONT_TIMEOUT=2500 # ms",
        "SYMBIONT_MAX_RETRIES = 1",
      ].join("\n"),
    );
    const resolved = resolveOptions({}, { env: {}, cwd: dir });
    expect(resolved).toMatchObject({
      apiKey: "sym_from_file",
      baseUrl: "http://dotenv.test:9000/api/v1",
      timeout: 2500,
      maxRetries: 1,
    });
  });

  it("let a real environment variable beat the .env file", () => {
    writeDotEnv("SYMBIONT_API_KEY=from_file\nSYMBIONT_TIMEOUT=2500\n");
    const resolved = resolveOptions({}, { env: { SYMBIONT_API_KEY: "from_env" }, cwd: dir });
    expect(resolved.apiKey).toBe("from_env");
    expect(resolved.timeout).toBe(2500);
  });

  it("treat an empty environment variable as unset", () => {
    writeDotEnv("SYMBIONT_API_KEY=from_file\n");
    expect(resolveOptions({}, { env: { SYMBIONT_API_KEY: "" }, cwd: dir }).apiKey).toBe("from_file");
  });

  it("read no .env when told not to, or when there is none", () => {
    writeDotEnv("SYMBIONT_API_KEY=from_file\n");
    expect(resolveOptions({}, { env: {}, cwd: null }).apiKey).toBeUndefined();
    expect(resolveOptions({}, { env: {}, cwd: join(dir, "missing") }).apiKey).toBeUndefined();
  });

  it("refuse a non-numeric SYMBIONT_TIMEOUT, naming the variable", () => {
    expect(() => resolveOptions({}, { env: { SYMBIONT_TIMEOUT: "30s" }, cwd: null })).toThrow(
      'Invalid environment variable SYMBIONT_TIMEOUT: must be a positive number of milliseconds, got "30s"',
    );
  });

  it("refuse a bad SYMBIONT_MAX_RETRIES in .env, naming the file", () => {
    writeDotEnv("SYMBIONT_MAX_RETRIES=-1\n");
    const attempt = () => resolveOptions({}, { env: {}, cwd: dir });
    expect(attempt).toThrow(SymbiontError);
    expect(attempt).toThrow(
      `Invalid SYMBIONT_MAX_RETRIES in ${dir}/.env: must be a whole number, 0 or more, got "-1"`,
    );
  });

  it("refuse a negative maxRetries and a timeout that is not positive", () => {
    const isolated = { env: {}, cwd: null };
    expect(() => new SymbiontClient({ maxRetries: -1 }, isolated)).toThrow("Invalid maxRetries");
    expect(() => new SymbiontClient({ timeout: 0 }, isolated)).toThrow("Invalid timeout");
    expect(() => new SymbiontClient({ timeout: Number.NaN }, isolated)).toThrow(SymbiontError);
  });

  it("refuse a base URL that is not http(s)", () => {
    expect(() => resolveOptions({ baseUrl: "localhost:8080" }, { env: {}, cwd: null })).toThrow(
      "Invalid baseUrl",
    );
    expect(() => resolveOptions({}, { env: { SYMBIONT_BASE_URL: "ftp://x" }, cwd: null })).toThrow(
      "Invalid environment variable SYMBIONT_BASE_URL",
    );
  });

  it("never expose the API key on the client object", () => {
    const client = new SymbiontClient({ apiKey: "sym_hidden_value" }, { env: {}, cwd: null });
    expect(JSON.stringify(client)).not.toContain("sym_hidden_value");
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain("sym_hidden_value");
  });
});

describe("the .env parser", () => {
  it("reads comments, export prefixes, quotes, escapes and inline comments as shells do", () => {
    const parsed = parseDotEnv(
      [
        "# comment",
        "",
        "PLAIN=value",
        "  export EXPORTED=yes",
        "SPACED = padded value  ",
        "INLINE=kept # dropped",
        "HASH=a#b",
        "SINGLE='literal \\n # kept'",
        'DOUBLE="line\\nbreak \\"quoted\\" # kept"',
        "EMPTY=",
        "WINDOWS=crlf\r",
        "not an assignment",
        "1BAD=ignored",
      ].join("\n"),
    );
    expect(Object.fromEntries(parsed)).toEqual({
      PLAIN: "value",
      EXPORTED: "yes",
      SPACED: "padded value",
      INLINE: "kept",
      HASH: "a#b",
      SINGLE: "literal \\n # kept",
      DOUBLE: 'line\nbreak "quoted" # kept',
      EMPTY: "",
      WINDOWS: "crlf",
    });
  });
});
