import { createHmac, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import { type ModelServer, startOpenAiServer } from "../support/model-servers.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

const HOOK_SECRET = "cli-hook-secret-do-not-leak";

describe("symbiont endpoints and inputs", () => {
  let model: ModelServer;
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    model = await startOpenAiServer((request) => ({ text: `triaged ${request.input}` }));
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { ollamaBaseUrl: model.url });
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
    await server.call("POST", "/agents", { body: sampleAgent("triage", { tools: [] }) });
    await server.call("POST", "/secrets", {
      body: { agent_id: "*", secret_name: "cli-hook", secret_value: HOOK_SECRET },
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    await model?.close();
  });

  it("creates a signed endpoint that runs its agent, then disables, measures and deletes it", async () => {
    const created = await runCli(
      [
        "endpoints",
        "create",
        "/cli/push",
        "--agent",
        "triage",
        "--verify",
        "github",
        "--secret",
        "secret://cli-hook",
        "--filter",
        "action=opened",
        "--json",
      ],
      { env },
    );
    expect(created.stderr).toBe("");
    const id = (JSON.parse(created.stdout) as { endpoint_id: string }).endpoint_id;
    const body = '{"action":"opened"}';
    const delivered = await fetch(`${server.runtime.url}/hooks/cli/push`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`,
      },
      body,
    });
    expect(await delivered.json()).toMatchObject({ status: "succeeded", output: `triaged ${body}` });

    const list = await runCli(["endpoints", "list"], { env });
    expect(list.stdout).toContain("/hooks/cli/push");
    expect(list.stdout).toContain("signed (github)");
    const metrics = await runCli(["endpoints", "metrics", id], { env });
    expect(metrics.stdout).toContain("requests: 1 (1 ok, 0 failed");
    expect((await runCli(["endpoints", "disable", id], { env })).stdout).toContain("inactive");
    expect((await fetch(`${server.runtime.url}/hooks/cli/push`, { method: "POST", body })).status).toBe(404);
    const updated = await runCli(["endpoints", "update", id, "--rate-limit", "5", "--json"], { env });
    expect(JSON.parse(updated.stdout)).toMatchObject({
      endpoint_info: { rate_limit: 5, status: "inactive", path: "/cli/push" },
    });
    expect((await runCli(["endpoints", "delete", id], { env })).stdout).toContain(`Deleted ${id}`);
    const gone = await runCli(["endpoints", "get", id], { env });
    expect(gone.code).toBe(5);

    const usage = await runCli(["endpoints", "create", "/x", "--agent", "triage", "--verify", "github"], {
      env,
    });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--secret secret://NAME");
    const bad = await runCli(["endpoints", "create", "/a/../b", "--agent", "triage"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must not contain . or .. segments");
  });

  it("runs an input server on its own port, triggers it, stops it and reports a port in use", async () => {
    const created = await runCli(
      [
        "inputs",
        "create",
        "--agent",
        "triage",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--path",
        "/in",
        "--route",
        "header:X-Kind:other=triage",
        "--json",
      ],
      { env },
    );
    expect(created.stderr).toBe("");
    const info = JSON.parse(created.stdout) as { server_id: string; listening_url: string; status: string };
    expect(info.status).toBe("running");
    const answer = await fetch(info.listening_url, { method: "POST", body: '{"n":1}' });
    expect(await answer.json()).toEqual({ output: 'triaged {"n":1}' });

    const triggered = await runCli(
      ["inputs", "trigger", info.server_id, "--payload", '{"n":2}', "--header", "X-Kind=other"],
      { env },
    );
    expect(triggered.stdout).toContain("success (200) by agent triage");
    expect((await runCli(["inputs", "metrics", info.server_id], { env })).stdout).toContain(
      "requests: 2 (0 failed)",
    );
    expect((await runCli(["inputs", "stop", info.server_id], { env })).stdout).toContain("stopped");
    await expect(fetch(info.listening_url, { method: "POST", body: "{}" })).rejects.toThrow();

    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const port = (held.address() as { port: number }).port;
    try {
      const busy = await runCli(
        ["inputs", "create", "--agent", "triage", "--host", "127.0.0.1", "--port", String(port)],
        { env },
      );
      expect(busy.code).toBe(1);
      expect(busy.stdout).toContain("already in use");
    } finally {
      held.close();
    }
    const listed = await runCli(["inputs", "list"], { env });
    expect(listed.stdout).toContain("error");
    expect(listed.stdout).toContain(info.server_id);
    const badPayload = await runCli(["inputs", "trigger", info.server_id, "--payload", "[1]"], { env });
    expect(badPayload.code).toBe(2);
    const badRoute = await runCli(["inputs", "create", "--agent", "triage", "--route", "nonsense"], { env });
    expect(badRoute.code).toBe(2);
    expect(badRoute.stderr).toContain("--route takes");
  });
});
