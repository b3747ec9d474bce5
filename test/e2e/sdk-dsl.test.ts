import { PermissionDeniedError, SymbiontClient, ValidationError } from "@symbiont/sdk";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { insertApiKey } from "../support/keys.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

const SOURCE = `agent sdk_agent(question: String) -> String {
    name: "SDK agent"
    model: "llama3.2"
    capabilities = ["answer"]

    policy guard {
        allow: ["answer"] if question.length() < 1000
    }

    with timeout = 10s, max_memory_mb = 128 {
        return question
    }
}
`;

for (const target of databaseTargets.slice(0, 1)) {
  describe.skipIf(!target.available)(`client.dsl against a real runtime on ${target.name}`, () => {
    const server = useTestRuntime(target);
    const client = (apiKey = TEST_API_KEY) =>
      new SymbiontClient({ apiKey, baseUrl: server.api, maxRetries: 0 });

    it("compiles and registers, with the compiled definition typed", async () => {
      const result = await client().dsl.compile({ dsl_content: SOURCE, agent_name: "sdk_agent" });
      expect(result).toMatchObject({ success: true, agent_id: "sdk_agent", registration: "created" });
      const agent = result.definition?.agents[0];
      expect(agent?.limits).toMatchObject({ timeout_ms: 10_000, max_memory_mb: 128 });
      expect(agent?.policies[0]?.rules[0]?.actions).toEqual(["answer"]);
      expect((await client().agents.get("sdk_agent")).name).toBe("SDK agent");
    });

    it("returns source errors as data, and raises typed errors for bad requests and permissions", async () => {
      const broken = await client().dsl.compile({
        dsl_content: "agent x {",
        agent_name: "x",
        validate_only: true,
      });
      expect(broken.success).toBe(false);
      expect(broken.diagnostics[0]).toMatchObject({ code: "E1002", line: 1, column: 9 });
      await expect(client().dsl.compile({ dsl_content: "", agent_name: "no spaces" })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const { key } = await insertApiKey(server, { permissions: ["read"] });
      await expect(
        client(key).dsl.compile({ dsl_content: SOURCE, agent_name: "sdk_agent" }),
      ).rejects.toBeInstanceOf(PermissionDeniedError);
    });
  });
}
