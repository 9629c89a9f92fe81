// Errors of the Lambda edge. What the sync core, the sources and the store throw keeps its own name; these
// cover configuration and secrets.

/** A required environment variable is missing or invalid. Thrown at cold start, so the function fails to init. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** A secret could not be read from Secrets Manager, or does not hold what it should. Never carries the value. */
export class SecretError extends Error {
  override name = 'SecretError';
}
