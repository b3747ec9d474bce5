import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  SymbiontClient,
  ValidationError,
} from "@symbiont/sdk";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { insertApiKey } from "../support/keys.js";
import { sampleAgent, TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`the SDK against a real runtime on ${target.name}`, () => {
    const server = useTestRuntime(target);
    const client = () => new SymbiontClient({ apiKey: TEST_API_KEY, baseUrl: server.api, maxRetries: 0 });

    it("drives the agent lifecycle with typed results", async () => {
      const sdk = client();
      expect((await sdk.waitForHealthy({ timeout: 5_000 })).status).toBe("healthy");
      const created = await sdk.agents.create(sampleAgent("sdk-1"));
      expect(created).toMatchObject({ agent_id: "sdk-1", state: "idle" });
      expect(await sdk.agents.list()).toContain("sdk-1");
      expect((await sdk.agents.status("sdk-1")).state).toBe("idle");
      expect((await sdk.agents.metrics("sdk-1")).tasks_completed).toBe(0);
      const updated = await sdk.agents.update("sdk-1", { model: "gpt-4o", name: null });
      expect(updated).toMatchObject({ model: "gpt-4o", name: "Agent sdk-1", version: 2 });
      expect(await sdk.agents.delete("sdk-1")).toEqual({ deleted: true, agent_id: "sdk-1" });
      expect((await sdk.system.metrics()).total_agents).toBe(0);
    });

    it("walks every page of definitions", async () => {
      const sdk = client();
      for (let i = 0; i < 7; i++) await sdk.agents.create(sampleAgent(`page-${i}`));
      const seen: string[] = [];
      for await (const agent of sdk.agents.definitions({ limit: 2 })) seen.push(agent.id);
      expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `page-${i}`));
    });

    it("manages API keys: created once, listed without secrets, revoked at once", async () => {
      const sdk = client();
      const created = await sdk.keys.create({
        name: "sdk key",
        permissions: ["agents:read"],
        agent_ids: null,
        expires_at: null,
      });
      const scoped = new SymbiontClient({ apiKey: created.key, baseUrl: server.api, maxRetries: 0 });
      expect(Array.isArray(await scoped.agents.list())).toBe(true);
      await expect(scoped.keys.list()).rejects.toBeInstanceOf(PermissionDeniedError);
      const listed = await sdk.keys.list();
      expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: "sdk key", revoked_at: null });
      expect(JSON.stringify(listed)).not.toContain(created.key);
      expect(await sdk.keys.revoke(created.id)).toEqual({ revoked: true, id: created.id });
      await expect(scoped.agents.list()).rejects.toBeInstanceOf(AuthenticationError);
      expect((await sdk.keys.get(created.id)).revoked_at).not.toBeNull();
    });

    it("raises the typed error for each failure the server reports", async () => {
      const sdk = client();
      await expect(sdk.agents.status("nobody")).rejects.toBeInstanceOf(NotFoundError);
      await sdk.agents.create(sampleAgent("twice"));
      await expect(sdk.agents.create(sampleAgent("twice"))).rejects.toBeInstanceOf(ConflictError);
      const invalid = await sdk.agents
        .create(sampleAgent("hot", { temperature: 9 }))
        .catch((e: unknown) => e);
      expect(invalid).toBeInstanceOf(ValidationError);
      expect((invalid as ValidationError).issues).toEqual([
        { field: "body.temperature", message: "must be between 0 and 2" },
      ]);

      const stranger = new SymbiontClient({
        apiKey: "not-a-key-of-this-runtime",
        baseUrl: server.api,
        maxRetries: 0,
      });
      const refused = await stranger.agents.list().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AuthenticationError);
      expect(String(refused)).not.toContain("not-a-key-of-this-runtime");

      const { key } = await insertApiKey(server, { permissions: ["read"] });
      const reader = new SymbiontClient({ apiKey: key, baseUrl: server.api, maxRetries: 0 });
      expect(await reader.agents.list()).toContain("twice");
      await expect(reader.agents.delete("twice")).rejects.toBeInstanceOf(PermissionDeniedError);
    });
  });
}
