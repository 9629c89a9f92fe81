// Errors the sync core raises itself. Failures of the sources (HttpStatusError, PayloadError, …) and of the
// store (WriteFailedError, PartialInitError, …) pass through unchanged, so callers keep switching on their
// stable names; these cover what only the sync core can tell: a bad environment configuration, bad options,
// and a session that synced nothing.

export class SyncError extends Error {
  override name = 'SyncError';
}

/** The environments configuration (LD_ENVIRONMENTS) is not valid: the message names the entry and the field. */
export class EnvironmentConfigError extends SyncError {
  override name = 'EnvironmentConfigError';
}

/** A stream session ended without ever receiving LaunchDarkly's data, so nothing was synced. */
export class NoDataError extends SyncError {
  override name = 'NoDataError';
}
