import type { HttpEndpointSpec } from "@symbiont/sdk";
import { CliError, ExitCode } from "../exit-codes.js";

type Verification = NonNullable<HttpEndpointSpec["verification"]>;
type WebhookScheme = Verification["scheme"];
type PayloadFilter = NonNullable<HttpEndpointSpec["filters"]>[number];

const SCHEMES: readonly WebhookScheme[] = ["github", "stripe", "slack", "hmac", "jwt"];

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--verify github --secret secret://gh-hook` into a verification, or undefined without --verify. */
export function verificationFrom(flags: {
  verify?: string;
  secret?: string;
  signatureHeader?: string;
  timestampHeader?: string;
  tolerance?: string;
}): Verification | undefined {
  if (!flags.verify) {
    if (flags.secret) throw new CliError("--secret goes with --verify SCHEME", ExitCode.usage);
    return undefined;
  }
  if (!SCHEMES.includes(flags.verify as WebhookScheme))
    throw new CliError(`--verify takes one of ${SCHEMES.join(", ")}`, ExitCode.usage);
  if (!flags.secret)
    throw new CliError(
      "--verify needs --secret secret://NAME (store it first: symbiont secrets set NAME)",
      ExitCode.usage,
    );
  if (flags.tolerance !== undefined && !/^\d+$/.test(flags.tolerance))
    throw new CliError("--tolerance must be whole seconds", ExitCode.usage);
  return {
    scheme: flags.verify as WebhookScheme,
    secret: flags.secret,
    header: flags.signatureHeader ?? null,
    timestamp_header: flags.timestampHeader ?? null,
    ...(flags.tolerance !== undefined ? { tolerance_seconds: Number(flags.tolerance) } : {}),
  };
}

/** `--filter action=opened` (the value parsed as JSON when it is JSON, else taken as a string). */
export function filtersFrom(values: string[] | undefined): PayloadFilter[] {
  return (values ?? []).map((entry) => {
    const at = entry.indexOf("=");
    if (at <= 0)
      throw new CliError(
        `--filter takes PATH=VALUE, e.g. action=opened, not ${JSON.stringify(entry)}`,
        ExitCode.usage,
      );
    const text = entry.slice(at + 1);
    let equals: PayloadFilter["equals"];
    try {
      equals = JSON.parse(text) as PayloadFilter["equals"];
    } catch {
      equals = text;
    }
    return { path: entry.slice(0, at), equals };
  });
}

export function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number`, ExitCode.usage);
  return Number(value);
}
