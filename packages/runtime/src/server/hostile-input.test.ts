import { type RouteDefinition, routes } from "@symbiont/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets, type FreshDatabase } from "../../../../test/support/databases.js";
import { sampleAgent, startTestRuntime, type TestRuntime } from "../../../../test/support/runtime.js";

/** Values that have broken servers before: wrong types, extremes, encodings, injection strings. */
const hostileValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -0,
  "",
  " ",
  "\u0000",
  "\ud800",
  "../../etc/passwd",
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "%00%2F%2E%2E",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🤖".repeat(200),
  "x".repeat(100_000),
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

const hostileBodies: string[] = [
  "",
  "{",
  "[]",
  "null",
  "0",
  '"string"',
  "{}",
  '{"id": {"$gt": ""}}',
  JSON.stringify({ ...sampleAgent("h"), tools: "not-an-array" }),
  "\u0000\u0001\u0002",
  `{${'"a":1,'.repeat(20_000)}"b":1}`,
  `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
  ...hostileValues.flatMap((value) =>
    Object.keys(sampleAgent("h")).map((field) => JSON.stringify({ ...sampleAgent("h"), [field]: value })),
  ),
];

const hostileSegments = [
  "..",
  "%2e%2e",
  "%2F",
  "a%00b",
  "%ff%fe",
  "%",
  "💥",
  "x".repeat(2_000),
  "deployments",
  "'--",
];
const hostileQueries = [
  "limit=-1",
  "limit=abc",
  "limit=1e9",
  "cursor=%00",
  "limit=1&limit=2",
  "cursor=eyJ4Ijp9",
  "unknown=1",
];

describe("hostile input to every route", () => {
  let database: FreshDatabase;
  let server: TestRuntime;

  beforeAll(async () => {
    database = await databaseTargets[0]!.create();
    server = await startTestRuntime(database);
    await server.call("POST", "/agents", { body: sampleAgent("target") });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  const pathsFor = (route: RouteDefinition) =>
    route.path.includes("{")
      ? hostileSegments.map((segment) => route.path.replace(/\{[a-z_]+\}/, segment))
      : [route.path];

  for (const route of Object.values(routes) as RouteDefinition[]) {
    it(`never answers 5xx on ${route.method} ${route.path}`, async () => {
      const attempts: Promise<{ status: number; label: string }>[] = [];
      const send = (path: string, raw: string | undefined, label: string) =>
        attempts.push(
          server
            .call(
              route.method,
              path,
              raw === undefined ? {} : { raw, headers: { "content-type": "application/json" } },
            )
            .then((r) => ({ status: r.status, label })),
        );
      for (const path of pathsFor(route)) send(path, undefined, `path ${path.slice(0, 60)}`);
      for (const query of hostileQueries)
        send(`${route.path.replace(/\{[a-z_]+\}/, "target")}?${query}`, undefined, `query ${query}`);
      if (route.method !== "GET") {
        const path = route.path.replace(/\{[a-z_]+\}/, "target");
        for (const body of hostileBodies) send(path, body, `body ${body.slice(0, 60)}`);
      }
      const results = await Promise.all(attempts);
      const faults = results.filter((r) => r.status >= 500);
      expect(faults, JSON.stringify(faults.slice(0, 5))).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
      expect(Object.prototype).not.toHaveProperty("polluted");
    });
  }
});
