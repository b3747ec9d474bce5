import type { SecretLocation, ValueStore } from "./value-store.js";
import { type VaultClient, VaultError } from "./vault-client.js";

/** What a version row keeps for a value stored in Vault: where it is and which KV version. */
interface VaultReference {
  mount: string;
  path: string;
  version: number;
}

interface KvWriteAnswer {
  data?: { version?: number };
}
interface KvReadAnswer {
  data?: {
    data?: Record<string, unknown> | null;
    metadata?: { version?: number; deletion_time?: string; destroyed?: boolean };
  };
}

const segment = (text: string) => encodeURIComponent(text);

/**
 * Secrets in a Vault KV v2 engine: one KV secret per Symbiont secret, one KV version per our
 * version. Tenant-wide secrets and agents' secrets live under different folders so no agent id can
 * collide with the tenant's own.
 */
export class VaultStore implements ValueStore {
  readonly type = "vault" as const;
  readonly external = true;

  constructor(
    readonly client: VaultClient,
    private readonly mount: string,
    private readonly prefix: string,
  ) {}

  private pathOf(location: SecretLocation): string {
    const owner = location.agentId === "*" ? "tenant" : `agents/${segment(location.agentId)}`;
    return `${this.prefix}/${segment(location.tenantId)}/${owner}/${segment(location.name)}`;
  }

  async put(location: SecretLocation, value: string): Promise<string> {
    const path = this.pathOf(location);
    const answer = await this.client.call<KvWriteAnswer>("POST", `${this.mount}/data/${path}`, {
      data: { value },
    });
    const version = answer.data?.version;
    if (typeof version !== "number") {
      throw new VaultError(`Vault did not report the KV version it wrote at ${this.mount}/${path}`, 502);
    }
    const reference: VaultReference = { mount: this.mount, path, version };
    return JSON.stringify(reference);
  }

  async get(_location: SecretLocation, sealed: string): Promise<string> {
    const ref = JSON.parse(sealed) as VaultReference;
    const value = (await this.readKv(ref.mount, ref.path, ref.version)).value;
    if (typeof value !== "string") {
      throw new VaultError(
        `Vault holds no string "value" at ${ref.mount}/${ref.path} version ${ref.version}`,
        502,
      );
    }
    return value;
  }

  async discard(_location: SecretLocation, sealed: readonly string[], wholeSecret: boolean): Promise<void> {
    const refs = sealed.map((s) => JSON.parse(s) as VaultReference);
    if (wholeSecret) {
      // Where the versions were written, even if the mount or prefix has changed since.
      const paths = new Set(refs.map((ref) => `${ref.mount}/metadata/${ref.path}`));
      for (const path of paths) await this.client.call("DELETE", path);
      return;
    }
    for (const ref of refs) {
      await this.client.call("POST", `${ref.mount}/destroy/${ref.path}`, { versions: [ref.version] });
    }
  }

  /** `vault://mount/path#key`: a key of a KV v2 secret the operator keeps in Vault themselves. */
  /** One value of a KV secret; without a key, the secret must hold exactly one. */
  async readReference(mount: string, path: string, key: string | undefined): Promise<string> {
    const data = await this.readKv(mount, path.split("/").map(segment).join("/"));
    if (key === undefined) {
      const keys = Object.keys(data);
      if (keys.length !== 1)
        throw new VaultError(
          `Vault secret ${mount}/${path} holds ${keys.length} keys; name the one to use with #key`,
          400,
        );
      key = keys[0] as string;
    }
    const value = data[key];
    if (typeof value !== "string") {
      throw new VaultError(`Vault secret ${mount}/${path} has no string key "${key}"`, 404);
    }
    return value;
  }

  private async readKv(mount: string, path: string, version?: number): Promise<Record<string, unknown>> {
    const query = version === undefined ? "" : `?version=${version}`;
    const answer = await this.client.call<KvReadAnswer>("GET", `${mount}/data/${path}${query}`);
    const metadata = answer.data?.metadata;
    const where = `${mount}/${path}${version === undefined ? "" : ` version ${version}`}`;
    if (metadata?.destroyed) throw new VaultError(`Vault secret ${where} was destroyed`, 404);
    if (metadata?.deletion_time) throw new VaultError(`Vault secret ${where} was deleted`, 404);
    const data = answer.data?.data;
    if (!data || typeof data !== "object") throw new VaultError(`Vault secret ${where} holds no data`, 404);
    return data;
  }
}
