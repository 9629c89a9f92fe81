// The one rule for a LaunchDarkly service URI (the polling base URI, the stream URI, a Relay Proxy's URL),
// shared by the CLI, the Lambda handlers' configuration and the CDK configuration, so they cannot drift.
//
// The SDK key travels in the Authorization header of every request to that URI, so the URI must be https://
// (the certificate is verified; see transport.ts). Plain http:// is accepted only for a loopback address
// (127.0.0.0/8, ::1, localhost), where nothing leaves the machine: tests and a local Relay Proxy use it.
// Credentials, a query or a fragment in the URI are refused: they would end up in logs, or be silently
// dropped when the endpoint path is appended.
import { isIP } from 'node:net';
import { LaunchDarklyError } from './errors.js';

/** LaunchDarkly's polling base URI, used when none is configured (CLI, handlers). */
export const DEFAULT_BASE_URI = 'https://sdk.launchdarkly.com';
/** LaunchDarkly's streaming URI, used when none is configured (CLI, handlers). */
export const DEFAULT_STREAM_URI = 'https://stream.launchdarkly.com';

/** A LaunchDarkly URI that breaks the rule above; the message names where it came from and what was received. */
export class ServiceUriError extends LaunchDarklyError {
  override name = 'ServiceUriError';
}

export interface ServiceUriRules {
  /** Accept http:// for loopback hosts. Default true; a deployed stack passes false (nothing of it runs on loopback). */
  allowLoopbackHttp?: boolean;
}

/**
 * Returns `value` without trailing slashes when it is an acceptable LaunchDarkly service URI; otherwise
 * throws ServiceUriError "`where` must be an https:// URL …, got …". `where` names the source, e.g.
 * "Option '--base-uri'" or "Environment variable LD_BASE_URI".
 */
export function checkServiceUri(value: unknown, where: string, rules: ServiceUriRules = {}): string {
  const allowLoopbackHttp = rules.allowLoopbackHttp ?? true;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const secure = url?.protocol === 'https:' || (allowLoopbackHttp && url?.protocol === 'http:' && isLoopbackHost(url.hostname));
  const clean =
    url !== undefined &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !(value as string).includes('?');
  if (!secure || !clean) {
    const http = allowLoopbackHttp ? ' (http:// only for a loopback address such as http://127.0.0.1:8030)' : '';
    throw new ServiceUriError(
      `${where} must be an https:// URL${http} without credentials, query or fragment, like ` +
        `"https://sdk.launchdarkly.com", got ${shown(value)}`,
    );
  }
  return (value as string).replace(/\/+$/, '');
}

/** Whether a URL hostname (as `URL.hostname` gives it) is a loopback address: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function shown(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'nothing' : typeof value;
  // A URI with user-info would show a password: never echo one.
  try {
    const url = new URL(value);
    if (url.username || url.password) return `${JSON.stringify(`${url.protocol}//…@${url.host}${url.pathname}`)} (credentials hidden)`;
  } catch {
    // not a URL: shown as given
  }
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
