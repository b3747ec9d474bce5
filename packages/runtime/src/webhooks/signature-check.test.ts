import { createHmac, generateKeyPairSync } from "node:crypto";
import type { WebhookVerification } from "@symbiont/protocol";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { payloadPasses, valueAt } from "./payload-filter.js";
import { checkSignature } from "./signature-check.js";

const SECRET = "shared-secret";
const NOW = Date.parse("2026-01-15T10:30:00Z");
const nowSeconds = NOW / 1000;
const hmac = (text: string, secret = SECRET) => createHmac("sha256", secret).update(text).digest("hex");
const verification = (scheme: WebhookVerification["scheme"], extra: Partial<WebhookVerification> = {}) => ({
  scheme,
  secret: "secret://unused-here",
  header: null,
  timestamp_header: null,
  tolerance_seconds: 300,
  ...extra,
});
const body = '{"event":"ping","text":"ünïcode ✓"}';

describe("webhook signatures", () => {
  it("accepts a generic HMAC header with or without sha256= and refuses a truncated or non-hex one", async () => {
    const v = verification("hmac", { header: "x-signature" });
    for (const value of [hmac(body), `sha256=${hmac(body)}`, hmac(body).toUpperCase()])
      expect(
        await checkSignature(v, SECRET, { headers: { "x-signature": value }, rawBody: body }, NOW),
      ).toMatchObject({ ok: true });
    for (const value of [hmac(body).slice(0, 32), "zz".repeat(32), "", hmac(`${body} `)])
      expect(
        await checkSignature(v, SECRET, { headers: { "x-signature": value }, rawBody: body }, NOW),
      ).toMatchObject({ ok: false });
  });

  it("binds a generic HMAC to its timestamp header when one is configured", async () => {
    const v = verification("hmac", { header: "x-sig", timestamp_header: "x-ts", tolerance_seconds: 60 });
    const t = String(nowSeconds);
    const fresh = { "x-ts": t, "x-sig": hmac(`${t}.${body}`) };
    expect(await checkSignature(v, SECRET, { headers: fresh, rawBody: body }, NOW)).toMatchObject({
      ok: true,
    });
    // The same signature with a moved timestamp does not verify; an old one is stale.
    expect(
      await checkSignature(
        v,
        SECRET,
        { headers: { ...fresh, "x-ts": String(nowSeconds + 1) }, rawBody: body },
        NOW,
      ),
    ).toMatchObject({
      ok: false,
      reason: "signature mismatch",
    });
    const old = String(nowSeconds - 61);
    expect(
      await checkSignature(
        v,
        SECRET,
        { headers: { "x-ts": old, "x-sig": hmac(`${old}.${body}`) }, rawBody: body },
        NOW,
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("stale"),
    });
  });

  it("accepts Stripe's header with several v1 signatures (secret rotation) and remembers until the window ends", async () => {
    const t = nowSeconds - 10;
    const header = `t=${t},v1=${hmac(`${t}.${body}`, "old-secret")},v1=${hmac(`${t}.${body}`)}`;
    const outcome = await checkSignature(
      verification("stripe"),
      SECRET,
      { headers: { "stripe-signature": header }, rawBody: body },
      NOW,
    );
    expect(outcome).toMatchObject({ ok: true, rememberUntil: (t + 300) * 1000 });
    expect(
      await checkSignature(
        verification("stripe"),
        SECRET,
        { headers: { "stripe-signature": "v1=abc" }, rawBody: body },
        NOW,
      ),
    ).toMatchObject({
      ok: false,
    });
  });

  it("verifies JWT-signed deliveries with a shared secret or a public key, and refuses algorithm confusion", async () => {
    const shared = await new SignJWT({ jti: "d-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 60)
      .sign(new TextEncoder().encode(SECRET));
    const delivery = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, rawBody: body });
    expect(await checkSignature(verification("jwt"), SECRET, delivery(shared), NOW)).toMatchObject({
      ok: true,
      replayKey: "jwt:d-1",
    });
    expect(await checkSignature(verification("jwt"), "other", delivery(shared), NOW)).toMatchObject({
      ok: false,
    });
    expect(
      await checkSignature(verification("jwt"), SECRET, delivery(shared), NOW + 3_600_000),
    ).toMatchObject({ ok: false });

    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const signed = await new SignJWT({ jti: "d-2" })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 60)
      .sign(privateKey);
    expect(await checkSignature(verification("jwt"), pem, delivery(signed), NOW)).toMatchObject({ ok: true });
    // HS256 keyed with the public key's text: the classic confusion, refused before any check.
    const confused = await new SignJWT({ jti: "d-3" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(nowSeconds)
      .sign(new TextEncoder().encode(pem));
    expect(await checkSignature(verification("jwt"), pem, delivery(confused), NOW)).toMatchObject({
      ok: false,
      reason: "token algorithm not accepted",
    });
    const noJti = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(nowSeconds)
      .sign(new TextEncoder().encode(SECRET));
    expect(await checkSignature(verification("jwt"), SECRET, delivery(noJti), NOW)).toMatchObject({
      ok: false,
    });
    expect(await checkSignature(verification("jwt"), SECRET, delivery("not.a.jwt"), NOW)).toMatchObject({
      ok: false,
    });
  });
});

describe("payload filters", () => {
  const payload = { action: "opened", repository: { name: "symbiont", topics: ["ai", "agents"] }, count: 3 };

  it("follow dotted paths, with or without $., into objects and arrays", () => {
    expect(valueAt(payload, "$.repository.name")).toBe("symbiont");
    expect(valueAt(payload, "repository.topics.1")).toBe("agents");
    expect(valueAt(payload, "repository.missing.deeper")).toBeUndefined();
    expect(valueAt(payload, "__proto__.toString")).toBeUndefined();
    expect(valueAt(payload, "constructor")).toBeUndefined();
  });

  it("pass only when every filter's value is deeply equal", () => {
    expect(
      payloadPasses(
        [
          { path: "action", equals: "opened" },
          { path: "count", equals: 3 },
        ],
        payload,
      ),
    ).toBe(true);
    expect(payloadPasses([{ path: "count", equals: "3" }], payload)).toBe(false);
    expect(payloadPasses([{ path: "repository.topics", equals: ["ai", "agents"] }], payload)).toBe(true);
    expect(payloadPasses([{ path: "action", equals: "closed" }], payload)).toBe(false);
    expect(payloadPasses([], "not even json")).toBe(true);
  });
});
