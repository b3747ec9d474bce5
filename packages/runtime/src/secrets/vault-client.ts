import { readFile } from "node:fs/promises";

export type VaultAuth =
  | { method: "token"; token: string }
  | { method: "approle"; roleId: string; secretId: string; mount: string }
  | { method: "kubernetes"; role: string; jwtPath: string; mount: string };

export interface VaultSettings {
  url: string;
  namespace: string | undefined;
  auth: VaultAuth;
  timeoutMs: number;
}

/** A Vault failure in words an operator can act on. Never carries a token or a secret value. */
export class VaultError extends Error {
  override readonly name = "VaultError";
  constructor(
    message: string,
    /** Vault's HTTP status; 0 when Vault could not be reached. */
    readonly status: number,
  ) {
    super(message);
  }
}

interface AuthBlock {
  client_token: string;
  lease_duration: number;
  renewable: boolean;
}

const HINTS: Record<number, string> = {
  400: "Vault refused the request as invalid",
  401: "the Vault token is missing or invalid",
  403: "permission denied: the token is invalid, expired, or its policy does not allow this path",
  404: "nothing at this path (is the KV v2 engine mounted there?)",
  429: "Vault is rate limiting requests",
  500: "Vault had an internal error",
  501: "Vault is not initialized",
  502: "Vault could not reach its storage",
  503: "Vault is sealed or in standby",
};

/**
 * A small client for the Vault HTTP API calls we use: token lookup and renewal, AppRole and
 * Kubernetes login, and KV v2. It keeps a token, renews it when two thirds of its lease have passed,
 * and logs in again when renewal is no longer possible.
 */
export class VaultClient {
  private token: string | undefined;
  private obtainedAt = 0;
  /** Lease in ms; Infinity for a token that never expires. */
  private leaseMs = 0;
  private renewable = false;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly settings: VaultSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get url(): string {
    return this.settings.url;
  }

  /** Authenticates now; configuration calls this so bad settings fail while the operator is there. */
  async verify(): Promise<void> {
    this.token = undefined;
    await this.currentToken();
  }

  /** A call with the current token; on a 403 from a login-based method, one retry with a fresh login. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.currentToken();
    try {
      return await this.send<T>(method, path, body, token);
    } catch (error) {
      if (!(error instanceof VaultError) || error.status !== 403 || this.settings.auth.method === "token") {
        throw error;
      }
      this.token = undefined;
      return this.send<T>(method, path, body, await this.currentToken());
    }
  }

  private currentToken(): Promise<string> {
    const token = this.token;
    if (token !== undefined) {
      const age = this.now() - this.obtainedAt;
      if (this.leaseMs === Number.POSITIVE_INFINITY || age < (this.leaseMs * 2) / 3) {
        return Promise.resolve(token);
      }
    }
    // One login or renewal at a time, shared by the calls that wait for it.
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refresh(): Promise<string> {
    if (this.token !== undefined && this.renewable && this.now() - this.obtainedAt < this.leaseMs) {
      try {
        const renewed = await this.send<{ auth: AuthBlock }>("POST", "auth/token/renew-self", {}, this.token);
        return this.adopt(renewed.auth);
      } catch {
        // Renewal can fail at the token's max TTL; a fresh login follows where the method allows.
      }
    }
    return this.login();
  }

  private async login(): Promise<string> {
    const auth = this.settings.auth;
    switch (auth.method) {
      case "token": {
        const lookup = await this.send<{ data: { ttl: number; renewable: boolean } }>(
          "GET",
          "auth/token/lookup-self",
          undefined,
          auth.token,
        );
        return this.adopt({
          client_token: auth.token,
          lease_duration: lookup.data.ttl,
          renewable: lookup.data.renewable,
        });
      }
      case "approle": {
        const answer = await this.send<{ auth: AuthBlock }>("POST", `auth/${auth.mount}/login`, {
          role_id: auth.roleId,
          secret_id: auth.secretId,
        });
        return this.adopt(answer.auth);
      }
      case "kubernetes": {
        let jwt: string;
        try {
          jwt = (await readFile(auth.jwtPath, "utf8")).trim();
        } catch (error) {
          throw new VaultError(
            `Vault Kubernetes auth needs the service account token at ${auth.jwtPath}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`,
            0,
          );
        }
        const answer = await this.send<{ auth: AuthBlock }>("POST", `auth/${auth.mount}/login`, {
          role: auth.role,
          jwt,
        });
        return this.adopt(answer.auth);
      }
    }
  }

  private adopt(auth: AuthBlock | undefined): string {
    if (!auth?.client_token) throw new VaultError("Vault answered a login without a token", 502);
    this.token = auth.client_token;
    this.obtainedAt = this.now();
    this.leaseMs = auth.lease_duration > 0 ? auth.lease_duration * 1000 : Number.POSITIVE_INFINITY;
    this.renewable = auth.renewable;
    return auth.client_token;
  }

  private async send<T>(method: string, path: string, body: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token !== undefined) headers["x-vault-token"] = token;
    if (this.settings.namespace) headers["x-vault-namespace"] = this.settings.namespace;
    if (body !== undefined) headers["content-type"] = "application/json";
    const what = `${method} /v1/${path.split("?")[0]}`;
    let response: Response;
    try {
      response = await fetch(`${this.settings.url.replace(/\/+$/, "")}/v1/${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new VaultError(`Vault at ${this.settings.url} is unreachable (${cause}) during ${what}`, 0);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new VaultError(
        `Vault answered ${response.status} to ${what}: ${vaultErrors(text) ?? HINTS[response.status] ?? "unexpected status"}`,
        response.status,
      );
    }
    if (text === "") return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new VaultError(`Vault answered ${what} with something other than JSON`, 502);
    }
  }
}

/** Vault's `{"errors": [...]}`, joined; its messages name paths and policies, never stored values. */
function vaultErrors(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors.map((e) => String(e).slice(0, 500)).join("; ");
    }
  } catch {
    // not JSON
  }
  return undefined;
}
