import { AgentDefinition, AgentMetrics, AgentStatusResponse, ErrorBody } from "@symbiont/protocol";
import { describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { sampleAgent, useTestRuntime } from "../../../../test/support/runtime.js";

type Issues = { details: { issues: { field: string; message: string }[] } };
const fieldsOf = (body: unknown) => (body as Issues).details.issues.map((issue) => issue.field);

for (const target of databaseTargets) {
  describe.skipIf(!target.available)(`agents API on ${target.name}`, () => {
    const server = useTestRuntime(target);

    it("creates an agent with the contract's shape and reads it back three ways", async () => {
      const created = await server.call("POST", "/agents", { body: sampleAgent("reader") });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: "reader",
        agent_id: "reader",
        status: "created",
        state: "idle",
      });

      const ids = await server.call("GET", "/agents");
      expect(ids.body).toContain("reader");
      expect((ids.body as unknown[]).every((id) => typeof id === "string")).toBe(true);

      const status = await server.call("GET", "/agents/reader");
      expect(AgentStatusResponse.parse(status.body)).toMatchObject({ agent_id: "reader", state: "idle" });

      const definition = AgentDefinition.parse((await server.call("GET", "/agents/reader/definition")).body);
      expect(definition).toMatchObject({ ...sampleAgent("reader"), version: 1 });

      const metrics = AgentMetrics.parse((await server.call("GET", "/agents/reader/metrics")).body);
      expect(metrics).toMatchObject({ agent_id: "reader", tasks_completed: 0, tasks_failed: 0 });
      expect(Number.isInteger(metrics.uptime_seconds)).toBe(true);
    });

    it("answers 409 to a duplicate id and leaves the first agent untouched", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("dup", { name: "first" }) });
      const second = await server.call("POST", "/agents", { body: sampleAgent("dup", { name: "second" }) });
      expect(second.status).toBe(409);
      expect(ErrorBody.parse(second.body).code).toBe("CONFLICT");
      const definition = await server.call("GET", "/agents/dup/definition");
      expect((definition.body as { name: string }).name).toBe("first");
    });

    it("answers 404 for an unknown agent on every by-id route", async () => {
      for (const [method, path] of [
        ["GET", "/agents/ghost"],
        ["GET", "/agents/ghost/metrics"],
        ["GET", "/agents/ghost/definition"],
        ["DELETE", "/agents/ghost"],
      ] as const) {
        const response = await server.call(method, path);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(ErrorBody.parse(response.body).code).toBe("NOT_FOUND");
      }
      const patch = await server.call("PATCH", "/agents/ghost", { body: { name: "x" } });
      expect(patch.status).toBe(404);
    });

    it("updates only the fields given, treats null as unchanged and bumps the version", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("editable") });
      const updated = await server.call("PATCH", "/agents/editable", {
        body: { model: "gpt-4o", temperature: 0.1, name: null, tools: ["a", "b"] },
      });
      expect(updated.status).toBe(200);
      const definition = AgentDefinition.parse(updated.body);
      expect(definition).toMatchObject({
        model: "gpt-4o",
        temperature: 0.1,
        name: "Agent editable",
        tools: ["a", "b"],
        version: 2,
      });
      expect(Date.parse(definition.updated_at)).toBeGreaterThanOrEqual(Date.parse(definition.created_at));

      const empty = await server.call("PATCH", "/agents/editable", { body: { name: null } });
      expect(empty.status).toBe(400);
    });

    it("deletes an agent so that it is gone from every view", async () => {
      await server.call("POST", "/agents", { body: sampleAgent("doomed") });
      const deleted = await server.call("DELETE", "/agents/doomed");
      expect(deleted.body).toEqual({ deleted: true, agent_id: "doomed" });
      expect((await server.call("GET", "/agents/doomed")).status).toBe(404);
      expect((await server.call("GET", "/agents")).body).not.toContain("doomed");
    });

    it("pages through definitions with a cursor and rejects a forged cursor", async () => {
      for (let i = 0; i < 7; i++) await server.call("POST", "/agents", { body: sampleAgent(`page-${i}`) });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
        const page = (await server.call("GET", `/agent-definitions${query}`)).body as {
          items: { id: string }[];
          next_cursor: string | null;
        };
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((item) => item.id));
        cursor = page.next_cursor;
      } while (cursor);
      const all = (await server.call("GET", "/agents")).body as string[];
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(seen.length);

      const forged = await server.call("GET", "/agent-definitions?cursor=not-a-cursor");
      expect(forged.status).toBe(400);
      expect(fieldsOf(forged.body)).toEqual(["query.cursor"]);
      const badLimit = await server.call("GET", "/agent-definitions?limit=0");
      expect(fieldsOf(badLimit.body)).toEqual(["query.limit"]);
    });

    it("creates exactly one agent when the same id is raced by many requests", async () => {
      const responses = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          server.call("POST", "/agents", { body: sampleAgent("raced", { name: `n${i}` }) }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    });

    it("keeps every one of many concurrent creates", async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `bulk-${i}`);
      const responses = await Promise.all(
        ids.map((id) => server.call("POST", "/agents", { body: sampleAgent(id) })),
      );
      expect(responses.every((r) => r.status === 201)).toBe(true);
      const listed = (await server.call("GET", "/agents")).body as string[];
      for (const id of ids) expect(listed).toContain(id);
    });

    it("stores and returns unicode text unchanged", async () => {
      const agent = sampleAgent("unicode", {
        name: "助手 🤖 Ünïcødé",
        description: "emoji 👩‍💻, RTL עברית, combining é, math 𝔸",
        system_prompt: "多语言\nsecond line\t tab",
      });
      expect((await server.call("POST", "/agents", { body: agent })).status).toBe(201);
      const definition = (await server.call("GET", "/agents/unicode/definition")).body;
      expect(definition).toMatchObject({
        name: agent.name,
        description: agent.description,
        system_prompt: agent.system_prompt,
      });
    });

    it("accepts 10 KB of prompt text and a name at its limit, and stores them whole", async () => {
      const prompt = "x".repeat(10_240);
      const name = "n".repeat(256);
      expect(
        (await server.call("POST", "/agents", { body: sampleAgent("long", { system_prompt: prompt, name }) }))
          .status,
      ).toBe(201);
      const definition = (await server.call("GET", "/agents/long/definition")).body as {
        system_prompt: string;
        name: string;
      };
      expect(definition.system_prompt).toBe(prompt);
      expect(definition.name).toBe(name);
    });

    describe("rejects bad input with a 4xx naming the field and writes nothing", () => {
      const cases: [string, unknown, string[]][] = [
        ["a missing field", (({ model: _m, ...rest }) => rest)(sampleAgent("v1")), ["body.model"]],
        ["a wrong type", sampleAgent("v2", { temperature: "hot" }), ["body.temperature"]],
        ["an out-of-range number", sampleAgent("v3", { top_p: 1.5 }), ["body.top_p"]],
        ["a fractional max_tokens", sampleAgent("v4", { max_tokens: 10.5 }), ["body.max_tokens"]],
        ["an unknown field", { ...sampleAgent("v5"), colour: "blue" }, ["body.colour"]],
        ["an explicit null for a required field", sampleAgent("v6", { name: null }), ["body.name"]],
        ["a path traversal id", sampleAgent("../etc"), ["body.id"]],
        ["an id with a slash", sampleAgent("a/b"), ["body.id"]],
        ["a unicode id", sampleAgent("агент"), ["body.id"]],
        ["an id of only dots", sampleAgent(".."), ["body.id"]],
        ["a reserved id", sampleAgent("deployments"), ["body.id"]],
        ["a 10 KB id", sampleAgent("i".repeat(10_240), { name: "long id" }), ["body.id"]],
        ["a NUL character", sampleAgent("v7", { description: "a\u0000b" }), ["body.description"]],
        ["a lone surrogate", sampleAgent("v8", { description: "bad \ud800 text" }), ["body.description"]],
        ["a control character in the name", sampleAgent("v9", { name: "line\nbreak" }), ["body.name"]],
        ["a non-string tool", sampleAgent("v10", { tools: ["ok", 3] }), ["body.tools.1"]],
        ["an array body", [sampleAgent("v11")], ["body"]],
        ["a null body", null, ["body"]],
        [
          "a prompt over its limit",
          sampleAgent("v12", { system_prompt: "p".repeat(70_000) }),
          ["body.system_prompt"],
        ],
      ];
      for (const [label, body, fields] of cases) {
        it(`${label}`, async () => {
          const response = await server.call("POST", "/agents", {
            raw: JSON.stringify(body),
            headers: { "content-type": "application/json" },
          });
          expect(response.status).toBe(400);
          const error = ErrorBody.parse(response.body);
          expect(error.code).toBe("VALIDATION_FAILED");
          expect(fieldsOf(response.body)).toEqual(fields);
          expect(error.error).toContain(fields[0]);
        });
      }

      it("malformed JSON", async () => {
        const response = await server.call("POST", "/agents", {
          raw: '{"id": "x",',
          headers: { "content-type": "application/json" },
        });
        expect(response.status).toBe(400);
        expect(ErrorBody.parse(response.body).code).toBe("INVALID_JSON");
      });

      it("a __proto__ key (prototype poisoning)", async () => {
        const raw = `{"__proto__": {"admin": true}, ${JSON.stringify(sampleAgent("proto")).slice(1)}`;
        const response = await server.call("POST", "/agents", {
          raw,
          headers: { "content-type": "application/json" },
        });
        expect(response.status).toBe(400);
        expect((await server.call("GET", "/agents/proto")).status).toBe(404);
      });

      it("a body that is not JSON", async () => {
        const response = await server.call("POST", "/agents", {
          raw: "id=x",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(response.status).toBe(415);
        expect(ErrorBody.parse(response.body).code).toBe("UNSUPPORTED_MEDIA_TYPE");
      });

      it("a body over the size limit", async () => {
        const response = await server.call("POST", "/agents", {
          body: sampleAgent("huge", { system_prompt: "z".repeat(2 * 1024 * 1024) }),
        });
        expect(response.status).toBe(413);
        expect(ErrorBody.parse(response.body).code).toBe("PAYLOAD_TOO_LARGE");
      });

      it("ids in the path that are traversals, encoded slashes or too long", async () => {
        for (const path of [
          "/agents/..%2F..%2Fetc",
          `/agents/${"q".repeat(10_000)}`,
          "/agents/%F0%9F%A4%96",
        ]) {
          const response = await server.call("GET", path);
          expect(response.status, path).toBe(400);
          expect(fieldsOf(response.body), path).toEqual(["params.agent_id"]);
        }
      });

      it("leaves no partial write behind", async () => {
        const listed = (await server.call("GET", "/agents")).body as string[];
        for (const id of [
          "v1",
          "v2",
          "v3",
          "v4",
          "v5",
          "v6",
          "v7",
          "v8",
          "v9",
          "v10",
          "v11",
          "v12",
          "huge",
        ]) {
          expect(listed).not.toContain(id);
        }
      });
    });
  });
}
