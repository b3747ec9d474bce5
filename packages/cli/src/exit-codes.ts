/** Exit codes, so scripts can tell why a command failed. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  unauthenticated: 4,
  notFound: 5,
  conflict: 6,
} as const;

/** A failure the user can act on: printed as-is, without a stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
  }
}
