import { afterAll, describe, expect, it } from "vitest";
import { databaseTargets } from "../../../../test/support/databases.js";
import { startOtlpReceiver } from "../../../../test/support/otlp-receiver.js";
import { sampleAgent, startTestRuntime, TEST_API_KEY } from "../../../../test/support/runtime.js";

const attribute = (span: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

describe("OpenTelemetry request spans over OTLP", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("exports a span per request that continues the caller's trace and carries no credential", async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(receiver.close);
    const database = await databaseTargets[0]!.create();
    cleanups.push(database.dispose);
    const server = await startTestRuntime(database, { otlpEndpoint: receiver.url });

    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    await server.call("POST", "/agents", {
      body: sampleAgent("traced"),
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    await server.call("GET", "/agents/traced?cursor=secret-looking-query");
    await server.call("GET", "/no/such/route");
    // Closing flushes the batch to the collector.
    await server.close();

    const create = receiver.spans.find((s) => s.name === "POST /api/v1/agents");
    expect(create).toBeDefined();
    expect(create?.traceId).toBe(traceId);
    expect(create?.parentSpanId).toBe(parentId);
    expect(create?.kind).toBe(2); // SERVER
    expect(attribute(create!, "http.route")).toBe("/api/v1/agents");
    expect(Number(attribute(create!, "http.response.status_code"))).toBe(201);

    const get = receiver.spans.find((s) => s.name === "GET /api/v1/agents/:agent_id");
    expect(get?.traceId).not.toBe(traceId);
    expect(attribute(get!, "url.path")).toBe("/api/v1/agents/traced");
    expect(receiver.spans.some((s) => s.name === "GET unmatched")).toBe(true);

    const everything = receiver.bodies.join("\n");
    expect(everything).not.toContain(TEST_API_KEY);
    expect(everything).not.toContain("secret-looking-query");
    expect(everything).toContain('"service.name"');
  });
});
