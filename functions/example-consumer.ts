// Example consumer Lambda: evaluates one LaunchDarkly flag straight from the table ld-dynamodb-sync writes, with
// no call to LaunchDarkly. It is the pattern to copy into your own functions:
// - build the SDK client once, at cold start, in daemon mode (`useLdd: true`) with ReadOnlyFeatureStore, events
//   and diagnostics off (the function has no SDK key and no route to LaunchDarkly);
// - wait for initialization (immediate in daemon mode) before the first evaluation, so it never sees CLIENT_NOT_READY;
// - evaluate per request.
// Environment: TABLE_NAME and FLAG_KEY (required), FLAG_PREFIX (the environment's prefix; optional).
// Event: {"key": "<context key>"} or {"context": <any LaunchDarkly context>}; without either, an anonymous user.
import { basicLogger, init, type LDContext, type LDEvaluationReason, type LDFlagValue } from '@launchdarkly/node-server-sdk';
import { ReadOnlyFeatureStore } from '../lib/store/reader.js';

/** Reads a variable at the edge; a missing one fails the cold start with a message saying which and why. */
function env(name: string, why: string): string;
function env(name: string, why: string, optional: true): string | undefined;
function env(name: string, why: string, optional = false): string | undefined {
  const value = process.env[name]?.trim();
  if (value) return value;
  if (optional) return undefined;
  throw new Error(`Environment variable ${name} is required (${why})`);
}

const tableName = env('TABLE_NAME', 'the DynamoDB table ld-dynamodb-sync writes');
const flagKey = env('FLAG_KEY', 'the flag to evaluate');
const prefix = env('FLAG_PREFIX', 'the environment prefix', true);

// Daemon mode never contacts LaunchDarkly, so the SDK key is only a required argument: never put a real key here.
const client = init('ld-dynamodb-sync-daemon-mode', {
  useLdd: true,
  featureStore: ReadOnlyFeatureStore(tableName, prefix ? { prefix } : {}),
  sendEvents: false,
  diagnosticOptOut: true,
  logger: basicLogger({ level: 'warn' }),
});
const ready = client.waitForInitialization({ timeout: 5 });

export interface ExampleEvent {
  key?: string;
  context?: LDContext;
}

export interface ExampleResult {
  flagKey: string;
  value: LDFlagValue;
  variationIndex: number | null;
  reason: LDEvaluationReason;
}

export async function handler(event: ExampleEvent | null | undefined): Promise<ExampleResult> {
  await ready;
  const detail = await client.variationDetail(flagKey, contextOf(event), false);
  return { flagKey, value: detail.value, variationIndex: detail.variationIndex ?? null, reason: detail.reason };
}

function contextOf(event: ExampleEvent | null | undefined): LDContext {
  if (event?.context && typeof event.context === 'object') return event.context;
  if (typeof event?.key === 'string' && event.key !== '') return { kind: 'user', key: event.key };
  return { kind: 'user', key: 'anonymous', anonymous: true };
}
