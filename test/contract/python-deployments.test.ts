import { describe, expect, it } from "vitest";
import { z } from "zod";
import { databaseTargets } from "../support/databases.js";
import { pythonCall } from "../support/python-call.js";
import { sampleAgent, useTestRuntime } from "../support/runtime.js";

// The client's AgentDeployResponse (§4), written from the contract.
const datetime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "RFC 3339 datetime");
const AgentDeployResponse = z.object({
  deployment_id: z.string(),
  agent_id: z.string(),
  status: z.string(),
  deployed_at: datetime,
  endpoint_url: z.string().nullish(),
});

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the Python client's deployment calls on ${target.name}`, () => {
    const server = useTestRuntime(target, { deploymentStopGraceMs: 500 });

    it("deploy_agent, get, list (a bare array, filtered) and stop (no body) parse as the client expects", async () => {
      expect((await pythonCall(server.api, "POST", "/agents", sampleAgent("py-svc"))).status).toBe(201);
      // The client sends every field, defaults included.
      const deployed = await pythonCall(server.api, "POST", "/agents/deploy", {
        agent_id: "py-svc",
        environment: "development",
        config_overrides: {},
      });
      expect(deployed.status, deployed.text).toBe(200);
      expect(deployed.contentType).toContain("application/json");
      const answer = AgentDeployResponse.parse(deployed.json());
      expect(["deploying", "running"]).toContain(answer.status);

      let current = AgentDeployResponse.parse(
        (await pythonCall(server.api, "GET", `/agents/deployments/${answer.deployment_id}`)).json(),
      );
      for (let i = 0; i < 200 && current.status !== "running"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = AgentDeployResponse.parse(
          (await pythonCall(server.api, "GET", `/agents/deployments/${answer.deployment_id}`)).json(),
        );
      }
      expect(current.status).toBe("running");

      const all = z
        .array(AgentDeployResponse)
        .parse((await pythonCall(server.api, "GET", "/agents/deployments")).json());
      expect(all.map((d) => d.deployment_id)).toContain(answer.deployment_id);
      const none = await pythonCall(server.api, "GET", "/agents/deployments?agent_id=someone-else");
      expect(none.json()).toEqual([]);

      const stopped = await pythonCall(
        server.api,
        "POST",
        `/agents/deployments/${answer.deployment_id}/stop`,
      );
      expect(stopped.status, stopped.text).toBe(200);
      expect(stopped.json()).toEqual({ deployment_id: answer.deployment_id, status: "stopped" });
      const after = AgentDeployResponse.parse(
        (await pythonCall(server.api, "GET", `/agents/deployments/${answer.deployment_id}`)).json(),
      );
      expect(after.status).toBe("stopped");
    });

    it("answers 404 for an unknown agent, and optional fields sent as null take their defaults", async () => {
      const unknown = await pythonCall(server.api, "POST", "/agents/deploy", {
        agent_id: "nobody-here",
        environment: "development",
        config_overrides: {},
      });
      expect(unknown.status).toBe(404);
      const nulls = await pythonCall(server.api, "POST", "/agents/deploy", {
        agent_id: "py-svc",
        environment: null,
        config_overrides: null,
      });
      expect(nulls.status, nulls.text).toBe(200);
      const answer = nulls.json() as { deployment_id: string; environment: string };
      expect(answer.environment).toBe("development");
      await pythonCall(server.api, "POST", `/agents/deployments/${answer.deployment_id}/stop`);
    });
  });
}
