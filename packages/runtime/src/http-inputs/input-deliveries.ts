import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { HttpInputConfig, HttpResponseControlConfig, Run } from "@symbiont/protocol";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import type { RunService } from "../runs/run-service.js";
import { SecretReferenceError, type SecretResolver } from "../secrets/secret-resolver.js";
import { deliveryScope, outputAsObject, runFinished, triggerRun } from "../webhooks/agent-trigger.js";
import { payloadPasses } from "../webhooks/payload-filter.js";
import type { WebhookVerifier } from "../webhooks/webhook-verifier.js";
import { pickAgent } from "./agent-routing.js";
import type { InputServerRecord } from "./input-repository.js";

/** The contract's own answer deadline is 30 s a call; an agent gets a little less. */
const WAIT_SECONDS = 25;

const DEFAULT_RESPONSE: HttpResponseControlConfig = {
  default_status: 200,
  agent_output_to_json: true,
  error_status: 500,
  echo_input_on_error: false,
};

export interface InputDelivery {
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: string;
  requestId: string;
}

export interface DeliveryOutcome {
  status: "success" | "error" | "ignored" | "accepted" | "rejected";
  code: number;
  /** JSON, or the agent's text when the server sends output as it is. */
  body: Record<string, unknown> | string;
  agentId: string;
  runId: string | null;
}

function headerOf(headers: InputDelivery["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sameText(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What an input server does with a delivery: authenticate it (auth_header, a JWT against the
 * configured public key, or a webhook signature), filter it, route it to an agent by the rules, run
 * the agent and shape the answer by the response control.
 */
export class InputDeliveries {
  constructor(
    private readonly runs: RunService,
    private readonly secrets: SecretResolver,
    private readonly verifier: WebhookVerifier,
  ) {}

  /** Checks a delivery's credential; a reason when it is refused. */
  async authenticate(record: InputServerRecord, delivery: InputDelivery): Promise<string | undefined> {
    const config = record.config;
    if (config.auth_header) {
      const expected = await this.secrets.resolve(config.auth_header, {
        tenantId: record.tenantId,
        agentId: config.agent_id,
        purpose: "http input auth header",
        requestId: delivery.requestId,
      });
      if (!sameText(expected, headerOf(delivery.headers, "authorization")))
        return "Missing or wrong Authorization header";
    }
    if (config.jwt_public_key_path) {
      const reason = await verifyJwt(config.jwt_public_key_path, headerOf(delivery.headers, "authorization"));
      if (reason) return reason;
    }
    if (config.verification) {
      const verified = await this.verifier.verify(
        config.verification,
        { headers: delivery.headers, rawBody: delivery.rawBody },
        {
          tenantId: record.tenantId,
          agentId: config.agent_id,
          scopeKey: `input:${record.id}`,
          requestId: delivery.requestId,
        },
      );
      if (!verified.ok) {
        // The receiving side's secret is missing: the sender did nothing wrong.
        if (verified.status === 503) throw new SecretReferenceError(verified.reason);
        return verified.reason;
      }
    }
    return undefined;
  }

  /** Routes and runs an authenticated delivery whose payload is already parsed. */
  async process(
    record: InputServerRecord,
    delivery: InputDelivery,
    payload: unknown,
    mayRun: (agentId: string) => void = () => {},
  ): Promise<DeliveryOutcome> {
    const config = record.config;
    const agentId = pickAgent(config.routing_rules, config.agent_id, {
      path: delivery.path,
      headers: delivery.headers,
      payload,
    });
    mayRun(agentId);
    if (config.filters.length > 0 && !payloadPasses(config.filters, payload))
      return {
        status: "ignored",
        code: 200,
        body: { status: "ignored", reason: "the payload did not match the server's filters" },
        agentId,
        runId: null,
      };
    const input = inputOf(config, delivery);
    const scope = deliveryScope(
      record.tenantId,
      `http-input:${record.id}`,
      `http input ${record.id}`,
      agentId,
    );
    let run: Run;
    try {
      run = await triggerRun(this.runs, scope, agentId, input, WAIT_SECONDS);
    } catch (error) {
      // A routing rule naming an agent that is gone is the server's misconfiguration, not a fault.
      const control = config.response_control ?? DEFAULT_RESPONSE;
      return {
        status: "error",
        code: control.error_status,
        body: {
          error: `Agent "${agentId}" could not be run: ${(error as Error).message}`,
          ...(control.echo_input_on_error ? { input: payload } : {}),
        },
        agentId,
        runId: null,
      };
    }
    return shape(config.response_control ?? DEFAULT_RESPONSE, run, agentId, payload);
  }
}

function inputOf(config: HttpInputConfig, delivery: InputDelivery): string {
  const body = delivery.rawBody === "" ? "{}" : delivery.rawBody;
  if (config.forward_headers.length === 0) return body;
  const forwarded: Record<string, string> = {};
  for (const name of config.forward_headers) {
    const value = headerOf(delivery.headers, name.toLowerCase());
    if (value !== undefined) forwarded[name.toLowerCase()] = value;
  }
  return JSON.stringify({ headers: forwarded, body });
}

function shape(
  control: HttpResponseControlConfig,
  run: Run,
  agentId: string,
  payload: unknown,
): DeliveryOutcome {
  if (run.status === "succeeded") {
    return {
      status: "success",
      code: control.default_status,
      body: control.agent_output_to_json ? { ...outputAsObject(run.output) } : (run.output ?? ""),
      agentId,
      runId: run.id,
    };
  }
  if (!runFinished(run))
    return {
      status: "accepted",
      code: 202,
      body: { run_id: run.id, status: run.status },
      agentId,
      runId: run.id,
    };
  return {
    status: "error",
    code: control.error_status,
    body: {
      error: `The agent run ended ${run.status}`,
      run_id: run.id,
      ...(control.echo_input_on_error ? { input: payload } : {}),
    },
    agentId,
    runId: run.id,
  };
}

async function verifyJwt(keyPath: string, authorization: string | undefined): Promise<string | undefined> {
  if (!authorization?.startsWith("Bearer ")) return "Missing bearer token";
  const token = authorization.slice(7);
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return "Malformed bearer token";
  }
  // A public key verifies asymmetric signatures only; HS* with the key as a secret is the classic confusion attack.
  if (!alg || alg === "none" || alg.startsWith("HS")) return "Token algorithm not accepted";
  try {
    const key = await importSPKI(await readFile(keyPath, "utf8"), alg);
    await jwtVerify(token, key, { algorithms: [alg] });
    return undefined;
  } catch {
    return "Bearer token not valid for this server";
  }
}
