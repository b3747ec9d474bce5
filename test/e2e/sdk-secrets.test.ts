import {
  NotFoundError,
  PermissionDeniedError,
  SymbiontClient,
  TENANT_WIDE,
  ValidationError,
} from "@symbiont/sdk";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { insertApiKey } from "../support/keys.js";
import { TEST_API_KEY, useTestRuntime } from "../support/runtime.js";

describe("the SDK's secrets against a real runtime", () => {
  const server = useTestRuntime(databaseTargets[0]!);
  const client = (apiKey = TEST_API_KEY) =>
    new SymbiontClient({ apiKey, baseUrl: server.api, maxRetries: 0 });

  it("sets, reads, lists, rotates, rolls back and deletes with typed results", async () => {
    const sdk = client();
    const stored = await sdk.secrets.set("helper", "TOKEN", "one", { description: "for tests" });
    expect(stored).toMatchObject({ version: 1, backend: "encrypted_file", description: "for tests" });
    await sdk.secrets.set("helper", "TOKEN", "two");
    expect((await sdk.secrets.get("helper", "TOKEN")).value).toBe("two");
    expect((await sdk.secrets.get("helper", "TOKEN", 1)).value).toBe("one");
    expect((await sdk.secrets.list("helper")).secrets).toEqual(["TOKEN"]);
    const rotated = await sdk.secrets.rotate("helper", "TOKEN", "three", 3600);
    expect(rotated).toMatchObject({ version: 3, previous_version: 2 });
    const rolled = await sdk.secrets.rollback("helper", "TOKEN", 1);
    expect(rolled.version).toBe(4);
    expect((await sdk.secrets.versions("helper", "TOKEN")).versions.map((v) => v.version)).toEqual([
      4, 3, 2, 1,
    ]);
    await sdk.secrets.set(TENANT_WIDE, "SHARED", "tenant");
    expect((await sdk.secrets.list()).secrets).toContain("SHARED");
    expect(await sdk.secrets.delete("helper", "TOKEN")).toEqual({
      deleted: true,
      agent_id: "helper",
      secret_name: "TOKEN",
    });
    await expect(sdk.secrets.get("helper", "TOKEN")).rejects.toBeInstanceOf(NotFoundError);
    await expect(sdk.secrets.set("helper", "bad/name", "v")).rejects.toBeInstanceOf(ValidationError);
    await expect(sdk.secrets.configureBackend({ backend_type: "encrypted_file" })).resolves.toEqual({
      status: "configured",
      backend_type: "encrypted_file",
    });
  });

  it("throws PermissionDeniedError for a value read without secrets:read", async () => {
    await client().secrets.set("helper", "LISTED", "value");
    const lister = await insertApiKey(server, { permissions: ["secrets:list"] });
    const sdk = client(lister.key);
    expect((await sdk.secrets.list("helper")).secrets).toContain("LISTED");
    await expect(sdk.secrets.get("helper", "LISTED")).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
