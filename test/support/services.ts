/**
 * Suites that need Postgres or Redis run when SYMBIONT_TEST_POSTGRES_URL / SYMBIONT_TEST_REDIS_URL
 * are set. In CI they must run, so a missing URL there is an error rather than a silent skip.
 */
function serviceUrl(variable: string): string | undefined {
  const value = process.env[variable];
  if (!value && process.env.CI === "true") {
    throw new Error(`${variable} must be set in CI: the suites that need it may not be skipped there.`);
  }
  return value || undefined;
}

export const postgresUrl = serviceUrl("SYMBIONT_TEST_POSTGRES_URL");

export const redisUrl = serviceUrl("SYMBIONT_TEST_REDIS_URL");
