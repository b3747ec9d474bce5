import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookVerification } from "@symbiont/protocol";
import { decodeProtectedHeader, importSPKI, type JWTPayload, jwtVerify } from "jose";

/** A delivery as it arrived: header names lower-case, the body exactly as sent (signatures cover bytes). */
export interface Delivery {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: string;
}

/**
 * What a valid signature proves, and what must not be seen twice: `replayKey` stays remembered until
 * `rememberUntil` (epoch ms), after which a stale timestamp refuses the delivery anyway.
 */
export type SignatureOutcome =
  | { ok: true; replayKey: string; rememberUntil: number }
  | { ok: false; reason: string };

/** Schemes without a signed timestamp keep their delivery ids this long. */
const UNTIMED_MEMORY_MS = 24 * 60 * 60 * 1000;

const refuse = (reason: string): SignatureOutcome => ({ ok: false, reason });

function header(delivery: Delivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hmacHex(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests; a wrong length is simply unequal. */
function sameHex(expected: string, given: string): boolean {
  if (!/^[0-9a-f]+$/i.test(given) || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(given.toLowerCase(), "hex"));
}

/** A Unix timestamp in seconds within `tolerance` of now, or why not. */
function freshTimestamp(text: string | undefined, toleranceSeconds: number, now: number): number | string {
  if (!text || !/^\d{1,12}$/.test(text)) return "missing or malformed timestamp";
  const seconds = Number(text);
  if (Math.abs(now / 1000 - seconds) > toleranceSeconds)
    return "stale timestamp (outside the tolerance window)";
  return seconds;
}

function github(v: WebhookVerification, secret: string, delivery: Delivery, now: number): SignatureOutcome {
  const signature = header(delivery, "x-hub-signature-256");
  if (!signature?.startsWith("sha256=")) return refuse("missing X-Hub-Signature-256");
  if (!sameHex(hmacHex(secret, delivery.rawBody), signature.slice(7))) return refuse("signature mismatch");
  // GitHub signs no timestamp: its delivery id (or, without one, the signature) marks a replay.
  const id = header(delivery, "x-github-delivery") ?? signature;
  return {
    ok: true,
    replayKey: `github:${id}`,
    rememberUntil: now + Math.max(UNTIMED_MEMORY_MS, v.tolerance_seconds * 1000),
  };
}

function stripe(v: WebhookVerification, secret: string, delivery: Delivery, now: number): SignatureOutcome {
  const text = header(delivery, "stripe-signature");
  if (!text) return refuse("missing Stripe-Signature");
  const parts = text.split(",").map((p) => p.trim().split("=", 2) as [string, string | undefined]);
  const timestamp = parts.find(([k]) => k === "t")?.[1];
  const fresh = freshTimestamp(timestamp, v.tolerance_seconds, now);
  if (typeof fresh === "string") return refuse(fresh);
  const expected = hmacHex(secret, `${timestamp}.${delivery.rawBody}`);
  const match = parts.find(([k, value]) => k === "v1" && value !== undefined && sameHex(expected, value));
  if (!match) return refuse("signature mismatch");
  return { ok: true, replayKey: `stripe:${expected}`, rememberUntil: (fresh + v.tolerance_seconds) * 1000 };
}

function slack(v: WebhookVerification, secret: string, delivery: Delivery, now: number): SignatureOutcome {
  const timestamp = header(delivery, "x-slack-request-timestamp");
  const fresh = freshTimestamp(timestamp, v.tolerance_seconds, now);
  if (typeof fresh === "string") return refuse(fresh);
  const signature = header(delivery, "x-slack-signature");
  if (!signature?.startsWith("v0=")) return refuse("missing X-Slack-Signature");
  const expected = hmacHex(secret, `v0:${timestamp}:${delivery.rawBody}`);
  if (!sameHex(expected, signature.slice(3))) return refuse("signature mismatch");
  return { ok: true, replayKey: `slack:${expected}`, rememberUntil: (fresh + v.tolerance_seconds) * 1000 };
}

function genericHmac(
  v: WebhookVerification,
  secret: string,
  delivery: Delivery,
  now: number,
): SignatureOutcome {
  const name = v.header ?? "x-signature";
  let signature = header(delivery, name);
  if (!signature) return refuse(`missing ${name}`);
  if (signature.startsWith("sha256=")) signature = signature.slice(7);
  if (v.timestamp_header) {
    const timestamp = header(delivery, v.timestamp_header);
    const fresh = freshTimestamp(timestamp, v.tolerance_seconds, now);
    if (typeof fresh === "string") return refuse(fresh);
    const expected = hmacHex(secret, `${timestamp}.${delivery.rawBody}`);
    if (!sameHex(expected, signature)) return refuse("signature mismatch");
    return { ok: true, replayKey: `hmac:${expected}`, rememberUntil: (fresh + v.tolerance_seconds) * 1000 };
  }
  const expected = hmacHex(secret, delivery.rawBody);
  if (!sameHex(expected, signature)) return refuse("signature mismatch");
  return { ok: true, replayKey: `hmac:${expected}`, rememberUntil: now + UNTIMED_MEMORY_MS };
}

async function jwtKey(secret: string, alg: string | undefined) {
  if (secret.includes("-----BEGIN")) return importSPKI(secret, alg ?? "RS256");
  return new TextEncoder().encode(secret);
}

async function jwt(
  v: WebhookVerification,
  secret: string,
  delivery: Delivery,
  now: number,
): Promise<SignatureOutcome> {
  const name = v.header ?? "authorization";
  const text = header(delivery, name);
  if (!text) return refuse(`missing ${name}`);
  const token = text.startsWith("Bearer ") ? text.slice(7) : text;
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return refuse("malformed token");
  }
  const pem = secret.includes("-----BEGIN");
  // The key decides the algorithm family: a shared secret only HS256, a public key never HS*.
  if (pem ? !alg || alg.startsWith("HS") || alg === "none" : alg !== "HS256")
    return refuse("token algorithm not accepted");
  let payload: JWTPayload;
  try {
    const key = await jwtKey(secret, alg);
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [alg as string],
      currentDate: new Date(now),
      clockTolerance: 5,
      maxTokenAge: `${v.tolerance_seconds}s`,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    return refuse(
      code.includes("EXPIRED") || code.includes("CLAIM")
        ? "stale or expired token"
        : "token signature invalid",
    );
  }
  if (typeof payload.jti !== "string" || payload.jti === "")
    return refuse("token has no jti to guard against replays");
  const until = typeof payload.exp === "number" ? payload.exp * 1000 : now + v.tolerance_seconds * 1000;
  return {
    ok: true,
    replayKey: `jwt:${payload.jti}`,
    rememberUntil: Math.max(until, now + v.tolerance_seconds * 1000),
  };
}

/** Checks a delivery's signature with the resolved secret. Never throws for a bad delivery. */
export function checkSignature(
  verification: WebhookVerification,
  secret: string,
  delivery: Delivery,
  now = Date.now(),
): SignatureOutcome | Promise<SignatureOutcome> {
  switch (verification.scheme) {
    case "github":
      return github(verification, secret, delivery, now);
    case "stripe":
      return stripe(verification, secret, delivery, now);
    case "slack":
      return slack(verification, secret, delivery, now);
    case "hmac":
      return genericHmac(verification, secret, delivery, now);
    case "jwt":
      return jwt(verification, secret, delivery, now);
  }
}
