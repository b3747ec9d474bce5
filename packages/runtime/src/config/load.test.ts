import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../../test/support/databases.js";
import { ConfigError, loadConfig, redactConfig } from "./load.js";
import { planReload } from "./reload.js";

function dirWith(files: Record<string, string>): string {
  const dir = tempDir("symbiont-config-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("configuration loading", () => {
  it("uses defaults when nothing is given", () => {
    const config = loadConfig({ env: {}, cwd: dirWith({}) });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      logLevel: "info",
      docs: true,
      bodyLimit: 1048576,
    });
    expect(config.dataDir).toMatch(/\.symbiont$/);
  });

  it("applies defaults < file < environment < flags", () => {
    const cwd = dirWith({ "symbiont.yaml": "port: 9001\nlogLevel: debug\nhost: 0.0.0.0\ndocs: false\n" });
    const fileOnly = loadConfig({ env: {}, cwd });
    expect(fileOnly).toMatchObject({ port: 9001, logLevel: "debug", host: "0.0.0.0", docs: false });

    const withEnv = loadConfig({ env: { SYMBIONT_PORT: "9002", SYMBIONT_LOG_LEVEL: "warn" }, cwd });
    expect(withEnv).toMatchObject({ port: 9002, logLevel: "warn", host: "0.0.0.0" });

    const withFlags = loadConfig({ env: { SYMBIONT_PORT: "9002" }, flags: { port: "9003" }, cwd });
    expect(withFlags.port).toBe(9003);
    expect(withFlags.logLevel).toBe("debug");
  });

  it("reads a JSON file given with --config and resolves dataDir against the working directory", () => {
    const cwd = dirWith({ "custom.json": JSON.stringify({ dataDir: "state", bodyLimit: 2048 }) });
    const config = loadConfig({ env: {}, cwd, configFile: "custom.json" });
    expect(config.dataDir).toBe(join(cwd, "state"));
    expect(config.bodyLimit).toBe(2048);
  });

  it("parses booleans from the environment strictly", () => {
    expect(loadConfig({ env: { SYMBIONT_DOCS: "off" }, cwd: dirWith({}) }).docs).toBe(false);
    expect(() => loadConfig({ env: { SYMBIONT_DOCS: "maybe" }, cwd: dirWith({}) })).toThrow(
      /docs .*SYMBIONT_DOCS.*true or false/s,
    );
  });

  it("names the key, its source and what is allowed when a value is invalid", () => {
    const attempt = () => loadConfig({ env: { SYMBIONT_PORT: "eighty" }, cwd: dirWith({}) });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /port = "eighty" \(from environment variable SYMBIONT_PORT\): must be a whole number between 0 and 65535/,
    );
    expect(() => loadConfig({ env: {}, flags: { port: "70000" }, cwd: dirWith({}) })).toThrow(
      /port .*command-line flag.*at most 65535/,
    );
    expect(() => loadConfig({ env: { SYMBIONT_LOG_LEVEL: "loud" }, cwd: dirWith({}) })).toThrow(
      /logLevel .*one of fatal, error/,
    );
    expect(() => loadConfig({ env: { SYMBIONT_DATABASE_URL: "mysql://x" }, cwd: dirWith({}) })).toThrow(
      /databaseUrl .*postgres:\/\//,
    );
  });

  it("never echoes a secret value in an error", () => {
    try {
      loadConfig({ env: { SYMBIONT_API_KEY: "short-secret" }, cwd: dirWith({}) });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("apiKey");
      expect((error as Error).message).toContain("at least 16 characters");
      expect((error as Error).message).not.toContain("short-secret");
    }
    const shown = redactConfig(
      loadConfig({ env: { SYMBIONT_API_KEY: "a-long-enough-secret-key" }, cwd: dirWith({}) }),
    );
    expect(JSON.stringify(shown)).not.toContain("a-long-enough-secret-key");
  });

  it("refuses unknown keys and unparseable files with the file's path", () => {
    const unknown = dirWith({ "symbiont.yaml": "prot: 80\n" });
    expect(() => loadConfig({ env: {}, cwd: unknown })).toThrow(/unknown key prot; allowed: host, port/);
    const broken = dirWith({ "symbiont.json": "{ not json" });
    expect(() => loadConfig({ env: {}, cwd: broken })).toThrow(/symbiont\.json could not be parsed/);
    const list = dirWith({ "symbiont.yaml": "- a\n- b\n" });
    expect(() => loadConfig({ env: {}, cwd: list })).toThrow(/must hold a mapping/);
    expect(() => loadConfig({ env: {}, cwd: dirWith({}), configFile: "missing.yaml" })).toThrow(
      /does not exist/,
    );
  });
});

describe("reload planning", () => {
  it("applies reloadable keys and lists the rest as needing a restart", () => {
    const current = loadConfig({ env: {}, cwd: dirWith({}) });
    const next = { ...current, logLevel: "debug" as const, port: 9999 };
    expect(planReload(current, next)).toEqual({ apply: ["logLevel"], requiresRestart: ["port"] });
    expect(planReload(current, current)).toEqual({ apply: [], requiresRestart: [] });
  });
});
