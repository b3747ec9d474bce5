import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli, spawnCli } from "../support/cli-process.js";
import { databaseTargets, type FreshDatabase } from "../support/databases.js";
import type { KubeObject } from "../support/kubernetes-server.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY, type TestRuntime } from "../support/runtime.js";

const AGENT_FILE = `agent triage(event: JSON) -> JSON {
    name: "Triage"
    description: "Sorts incoming issues"
    model: "llama3.2"
    capabilities = ["read"]

    with timeout = 45s, max_memory_mb = 384, max_cpu_cores = 1.5 {
        return event
    }
}
`;

describe("symbiont deploy, deployments and registry", () => {
  let database: FreshDatabase;
  let server: TestRuntime;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database, { deploymentStopGraceMs: 500 });
    env = { SYMBIONT_API_KEY: TEST_API_KEY, SYMBIONT_BASE_URL: server.runtime.url };
    dir = mkdtempSync(join(tmpdir(), "symbiont-deploy-"));
    writeFileSync(join(dir, "triage.symbi"), AGENT_FILE);
    await server.call("POST", "/agents", { body: sampleAgent("helper") });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the Kubernetes manifests of a file with --dry-run -o yaml, registering nothing", async () => {
    const result = await runCli(
      ["deploy", join(dir, "triage.symbi"), "--dry-run", "-o", "yaml", "--replicas", "2"],
      {
        env,
      },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const documents = parseAllDocuments(result.stdout).map((d) => d.toJSON() as KubeObject);
    expect(documents.map((d) => d.kind)).toEqual(["ConfigMap", "Secret", "Deployment"]);
    const container = documents[2]?.spec.template.spec.containers[0];
    // The file's `with` block became the limits.
    expect(container.resources.limits).toEqual({ memory: "384Mi", cpu: "1500m" });
    expect(documents[0]?.data.SYMBIONT_REPLICA_TIMEOUT_SECONDS).toBe("45");
    expect(documents[2]?.spec.replicas).toBe(2);
    expect((await server.call("GET", "/agents/triage")).status).toBe(404);
  });

  it("deploys a file (registering its agent), lists, gets, follows logs and stops it", async () => {
    const deployed = await runCli(["dsl", "deploy", join(dir, "triage.symbi"), "--json"], { env });
    expect(deployed.code, deployed.stderr).toBe(0);
    const deployment = JSON.parse(deployed.stdout) as {
      deployment_id: string;
      status: string;
      limits: unknown;
    };
    expect(deployment.status).toBe("running");
    expect(deployment.limits).toEqual({ max_memory_mb: 384, max_cpu_cores: 1.5, timeout_seconds: 45 });
    expect((await server.call("GET", "/agents/triage")).status).toBe(200);

    const list = await runCli(["deployments", "list", "--agent", "triage"], { env });
    expect(list.stdout).toContain(deployment.deployment_id);
    expect(list.stdout).toContain("running");
    const got = await runCli(["deployments", "get", deployment.deployment_id], { env });
    expect(got.stdout).toMatch(/replica 0 +running pid \d+/);
    expect(got.stdout).toContain("max_memory_mb=384");

    const follower = spawnCli(["deployments", "logs", deployment.deployment_id, "-f"], { env });
    const stopped = await runCli(["deployments", "stop", deployment.deployment_id], { env });
    expect(stopped.stdout).toContain("stopped");
    const { code } = await follower.exited;
    expect(code).toBe(0);
    expect(follower.stdout()).toContain("serves agent triage");
    expect(follower.stdout()).toContain("SIGTERM: closing");
  });

  it("deploys an agent by id, and explains a mistake in a flag or an unknown agent", async () => {
    const ok = await runCli(["deploy", "helper", "--no-wait", "--max-memory-mb", "200", "--json"], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const id = (JSON.parse(ok.stdout) as { deployment_id: string }).deployment_id;
    await runCli(["deployments", "stop", id], { env });
    const badFlag = await runCli(["deploy", "helper", "--replicas", "two"], { env });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("--replicas must be a positive whole number");
    const unknown = await runCli(["deploy", "nobody"], { env });
    expect(unknown.code).toBe(5);
    const help = await runCli(["deploy", "--help"], { env });
    expect(help.stdout).toContain("--dry-run");
    expect(help.stdout).toContain("Examples:");
  });

  it("shows registry stats, exports to a file and imports it", async () => {
    const stats = await runCli(["registry", "stats", "--json"], { env });
    expect(JSON.parse(stats.stdout)).toMatchObject({ agents: 2, executor: "local" });
    const file = join(dir, "backup.json");
    const exported = await runCli(["registry", "export", "-o", file], { env });
    expect(exported.stdout).toContain("Wrote 2 agents");
    const document = JSON.parse(readFileSync(file, "utf8")) as { agents: { id: string }[] };
    expect(document.agents.map((a) => a.id).sort()).toEqual(["helper", "triage"]);
    const imported = await runCli(["registry", "import", file], { env });
    expect(imported.stdout).toContain("0 agents created, 2 updated, 0 deployments started");
    writeFileSync(join(dir, "broken.json"), "{ not json");
    const broken = await runCli(["registry", "import", join(dir, "broken.json")], { env });
    expect(broken.code).toBe(2);
  });
});
