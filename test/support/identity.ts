import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type TokenResponse, TokenResponse as TokenResponseSchema } from "@symbiont/protocol";
import { SignJWT } from "jose";
import { MasterKey } from "../../packages/runtime/src/secrets/master-key.js";
import { Sealer } from "../../packages/runtime/src/secrets/sealer.js";
import type { TestRuntime } from "./runtime.js";

export const PASSWORD = "long enough passphrase 42";
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates a user through the API with the caller's credential (the admin key unless given). */
export async function createUser(
  server: TestRuntime,
  username: string,
  roles: string[],
  options: { password?: string; as?: string } = {},
): Promise<{ id: string; username: string }> {
  const response = await server.call("POST", "/users", {
    body: { username, password: options.password ?? PASSWORD, roles },
    ...(options.as ? { headers: bearer(options.as) } : {}),
  });
  if (response.status !== 201)
    throw new Error(`creating user ${username}: ${response.status} ${response.text}`);
  return response.body as { id: string; username: string };
}

export async function login(
  server: TestRuntime,
  username: string,
  extra: Record<string, unknown> = {},
): Promise<TokenResponse> {
  const response = await server.call("POST", "/auth/login", {
    body: { username, password: PASSWORD, ...extra },
    headers: { authorization: "" },
  });
  if (response.status !== 200) throw new Error(`login ${username}: ${response.status} ${response.text}`);
  return TokenResponseSchema.parse(response.body);
}

/** A user with the given roles, logged in: its access token. */
export async function userToken(server: TestRuntime, username: string, roles: string[]): Promise<string> {
  await createUser(server, username, roles);
  return (await login(server, username)).access_token;
}

/**
 * Signs claims with the runtime's own active signing key, read from its database: for tokens the
 * runtime would never issue (expired, wrong audience) that are otherwise perfectly signed.
 */
export async function signWithRuntimeKey(
  server: TestRuntime,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const key = await server.runtime.store.db
    .selectFrom("signing_keys")
    .selectAll()
    .where("retired_at", "is", null)
    .executeTakeFirstOrThrow();
  // The private key is sealed under the master key's identity subkey; the test holds the key file.
  const config = server.runtime.config();
  const keyFile = resolve(config.dataDir, config.masterKeyFile ?? "master.key");
  const masterKey = MasterKey.fromBytes(Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex"), "test");
  const jwk = new Sealer(masterKey, "identity").open(key.private_jwk, `signing-key:${key.kid}`);
  const privateKey = createPrivateKey({ key: JSON.parse(jwk), format: "jwk" });
  return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: key.kid, ...header }).sign(privateKey);
}
