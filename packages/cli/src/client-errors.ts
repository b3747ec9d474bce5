import {
  ApiError,
  AuthenticationError,
  AuthenticationExpiredError,
  ConflictError,
  ConnectionError,
  DEFAULT_BASE_URL,
  NotFoundError,
  PermissionDeniedError,
  SymbiontError,
  TimeoutError,
  ValidationError,
} from "@symbiont/sdk";
import { apiBaseUrl, type GlobalOptions, usesStoredSession } from "./client.js";
import { CliError, ExitCode } from "./exit-codes.js";

function targetUrl(options: GlobalOptions): string {
  const url = options.url ?? process.env.SYMBIONT_BASE_URL ?? DEFAULT_BASE_URL;
  try {
    return apiBaseUrl(url);
  } catch {
    return url;
  }
}

/** Request fields whose flag is not simply the field's name. */
const FLAG_OF_FIELD: Record<string, string> = {
  permissions: "permission",
  agent_ids: "agent",
  tools: "tool",
  agent_id: "agent",
  secret_value: "value",
  grace_seconds: "grace",
  version: "to",
};

/** `body.top_p` → `--top-p`, so a server-side validation message points at the flag to fix. */
function flagOf(field: string): string {
  const [name = field, sub] = field.replace(/^(body|query)\./, "").split(".");
  // A workflow's parameters are given one by one: `body.parameters.ticket` → `-p ticket`.
  if (name === "parameters" && sub && field.startsWith("body.")) return `-p ${sub}`;
  const flag = `--${(FLAG_OF_FIELD[name] ?? name).replace(/_/g, "-")}`;
  return field.startsWith("body.") || field.startsWith("query.") ? flag : field;
}

/** Turns an SDK error into a message that says what to do, and an exit code scripts can branch on. */
export function describeClientError(error: unknown, options: GlobalOptions): CliError {
  const url = targetUrl(options);
  if (error instanceof ConnectionError) {
    return new CliError(
      `Cannot reach the Symbiont runtime at ${url}.\nStart one with \`symbiont up\` (or \`npx symbiont up\` in the repository), or point --url / SYMBIONT_BASE_URL at a running runtime.`,
      ExitCode.unreachable,
    );
  }
  if (error instanceof TimeoutError) {
    return new CliError(
      `The runtime at ${url} did not answer in time; raise --timeout or check the server.`,
      ExitCode.unreachable,
    );
  }
  if (error instanceof AuthenticationError && usesStoredSession(options)) {
    return new CliError(
      `Your login session with ${url} has ended (logged out, expired or revoked). Run \`symbiont login\` again.`,
      ExitCode.unauthenticated,
    );
  }
  if (error instanceof AuthenticationExpiredError) {
    return new CliError(
      "Your API key has expired. Create a new one and set SYMBIONT_API_KEY.",
      ExitCode.unauthenticated,
    );
  }
  if (error instanceof AuthenticationError) {
    const hasKey = Boolean(options.apiKey ?? process.env.SYMBIONT_API_KEY);
    return new CliError(
      hasKey
        ? `The runtime at ${url} refused the API key. Check SYMBIONT_API_KEY (or --api-key): it must be a key of this runtime.`
        : "Not logged in. Run `symbiont login`, or set SYMBIONT_API_KEY to an API key (`symbiont up` prints the admin key on its first start).",
      ExitCode.unauthenticated,
    );
  }
  if (error instanceof PermissionDeniedError) {
    return new CliError(
      `Not allowed: ${error.message}. Use a credential with that permission.`,
      ExitCode.unauthenticated,
    );
  }
  if (error instanceof ValidationError) {
    const lines = error.issues.map((issue) => `  ${flagOf(issue.field)}: ${issue.message}`);
    return new CliError(
      lines.length > 0 ? `Invalid input:\n${lines.join("\n")}` : error.message,
      ExitCode.usage,
    );
  }
  if (error instanceof NotFoundError) return new CliError(error.message, ExitCode.notFound);
  if (error instanceof ConflictError) return new CliError(error.message, ExitCode.conflict);
  if (error instanceof ApiError) return new CliError(error.message, ExitCode.failure);
  if (error instanceof SymbiontError) return new CliError(error.message, ExitCode.usage);
  return new CliError(`Unexpected error: ${(error as Error)?.message ?? String(error)}`, ExitCode.failure);
}
