// What the polling and streaming clients share: LaunchDarkly's request headers, endpoint URLs and the
// checking of their options objects.
import { unknownOption } from '../util/options.js';
import { LaunchDarklyError } from './errors.js';
import { checkServiceUri } from './service-uri.js';

/** Sent as User-Agent unless the caller names another; LaunchDarkly's SDKs send `<Name>Client/<version>`. */
export const DEFAULT_USER_AGENT = 'LdDynamoDBSync/0.1.0';

/** The headers LaunchDarkly's server SDKs send: the SDK key raw (no "Bearer"), and who is asking. */
export function ldHeaders(sdkKey: string, userAgent = DEFAULT_USER_AGENT): Record<string, string> {
  return { Authorization: sdkKey, 'User-Agent': userAgent };
}

/**
 * `base` + `path`, keeping any path the base already has (a Relay Proxy behind a path prefix), with the
 * optional payload filter as `?filter=`.
 */
export function endpointUrl(base: string, path: string, filter?: string): string {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  if (filter !== undefined) url.searchParams.set('filter', filter);
  return url.toString();
}

/** Throws on unknown option keys and on the basic type errors every client shares. */
export function checkClientOptions(where: string, options: Record<string, unknown>, known: readonly string[], uriOption: string): void {
  if (options === null || typeof options !== 'object') throw new LaunchDarklyError(`${where}: options must be an object`);
  const unknown = unknownOption(options, known);
  if (unknown !== undefined) throw new LaunchDarklyError(`${where}: ${unknown}`);
  const { sdkKey, filter, userAgent, timeoutMs } = options;
  if (typeof sdkKey !== 'string' || sdkKey.trim() === '') {
    throw new LaunchDarklyError(`${where}: "sdkKey" must be a non-empty string, got ${sdkKey === undefined ? 'nothing' : typeof sdkKey}`);
  }
  // The one rule for LaunchDarkly URIs (https, or http to loopback), applied again here for programmatic callers.
  checkServiceUri(options[uriOption], `${where}: "${uriOption}"`);
  if (filter !== undefined && (typeof filter !== 'string' || filter === '')) {
    throw new LaunchDarklyError(`${where}: "filter" must be a non-empty string (a payload filter key), got ${JSON.stringify(filter)}`);
  }
  if (userAgent !== undefined && (typeof userAgent !== 'string' || userAgent === '')) {
    throw new LaunchDarklyError(`${where}: "userAgent" must be a non-empty string, got ${JSON.stringify(userAgent)}`);
  }
  if (timeoutMs !== undefined) checkPositive(where, 'timeoutMs', timeoutMs);
}

export function checkPositive(where: string, name: string, value: unknown, unit = 'milliseconds'): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LaunchDarklyError(`${where}: "${name}" must be a positive number of ${unit}, got ${JSON.stringify(value)}`);
  }
}
