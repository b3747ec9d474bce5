import { NAME_PATTERN } from "@symbiont/protocol";
import type { SecretBackends } from "./secret-backends.js";
import type { ReadContext, SecretService } from "./secret-service.js";
import { VaultError } from "./vault-client.js";

/** Who uses a reference, and for what: the resolved value is read on their behalf and audited. */
export interface SecretUse {
  tenantId: string;
  /** The agent on whose behalf it is used; its own secrets win over the tenant's of the same name. */
  agentId?: string | undefined;
  /** Shown in the audit entry, e.g. "mcp server env", "model provider key". */
  purpose: string;
  /** Correlates the audit entry with a request or run. */
  requestId?: string | undefined;
}

/** A reference that cannot be resolved. The message names the reference, never a value. */
export class SecretReferenceError extends Error {
  override readonly name = "SecretReferenceError";
}

const SECRET_REF = /^secret:\/\/([^/#?]+)$/;
/** `vault://mount/path#key`; the key may be left out when the secret holds a single value. */
const VAULT_REF = /^vault:\/\/([A-Za-z0-9._@-]+)\/([A-Za-z0-9._@/-]+)(?:#([A-Za-z0-9._@-]{1,256}))?$/;

export function isSecretReference(text: string): boolean {
  return text.startsWith("secret://") || text.startsWith("vault://");
}

/**
 * Turns `secret://name` and `vault://mount/path#key` into values at the moment of use, so values
 * live only in the backend and in the memory of the call that needs them: never in definitions,
 * run traces or logs. Other text passes through unchanged.
 */
export class SecretResolver {
  constructor(
    private readonly secrets: SecretService,
    private readonly backends: SecretBackends,
  ) {}

  async resolve(text: string, use: SecretUse): Promise<string> {
    if (!isSecretReference(text)) return text;
    const context: ReadContext = {
      actor: {
        tenantId: use.tenantId,
        id: `agent:${use.agentId ?? "*"}`,
        kind: "runtime",
        name: use.purpose,
      },
      requestId: use.requestId ?? `use:${crypto.randomUUID()}`,
      sourceIp: "internal",
      purpose: use.purpose,
    };
    const secret = SECRET_REF.exec(text);
    if (secret) {
      const name = secret[1] as string;
      if (!NAME_PATTERN.test(name))
        throw new SecretReferenceError(`${text} does not name a secret (bad name)`);
      const read = await this.secrets.readForUse(use.tenantId, use.agentId, name, context);
      if (!read) {
        const whose = use.agentId ? `agent "${use.agentId}" or the tenant` : "the tenant";
        throw new SecretReferenceError(`${text}: no secret "${name}" for ${whose}`);
      }
      return read.value;
    }
    const vault = VAULT_REF.exec(text);
    if (vault) {
      const [, mount, path, key] = vault as unknown as [string, string, string, string | undefined];
      if (path.split("/").some((s) => s === "" || /^\.+$/.test(s))) {
        throw new SecretReferenceError(`${text}: the Vault path has an empty, . or .. segment`);
      }
      const store = await this.backends.vaultOf(use.tenantId);
      if (!store)
        throw new SecretReferenceError(
          `${text}: no Vault is configured for the tenant (POST /secrets/config)`,
        );
      try {
        return await store.readReference(mount, path, key);
      } catch (error) {
        if (error instanceof VaultError) throw new SecretReferenceError(`${text}: ${error.message}`);
        throw error;
      }
    }
    throw new SecretReferenceError(
      `${text.slice(0, 12)}... is not a valid reference; use secret://name or vault://mount/path[#key]`,
    );
  }

  /** Resolves every value of a map (an MCP server's env, say), leaving plain values as they are. */
  async resolveAll(
    values: Readonly<Record<string, string>>,
    use: SecretUse,
  ): Promise<Record<string, string>> {
    const entries = await Promise.all(
      Object.entries(values).map(async ([key, value]) => [key, await this.resolve(value, use)] as const),
    );
    return Object.fromEntries(entries);
  }
}
