// Configuration from CDK context (cdk.json "context" and `-c key=value`): which keys are settings, how text
// given on the command line becomes JSON, numbers and booleans, and the refusal of a key that is no setting (a
// typo would otherwise be ignored, and the stack deployed without what was asked for). The settings themselves
// are checked by resolveConfig (config.ts).
import { CONFIG_KEYS, ConfigError, ENV_EXAMPLE, resolveConfig, type SyncStackConfig } from './config.js';

/**
 * Reads the configuration from CDK context through `get` (e.g. `(k) => app.node.tryGetContext(k)`).
 * Values given on the command line (`-c key=value`) arrive as strings, so JSON, numbers and booleans written as
 * text are accepted: `-c streaming=true -c pollRateMinutes=2 -c 'environments=[{"name":"production"}]'`.
 * `contextKeys` (all keys present) lets a key differing from a known one only in case be reported.
 */
export function configFromContext(get: (key: string) => unknown, contextKeys: readonly string[] = []): SyncStackConfig {
  checkContextKeys(contextKeys);
  const input: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = get(key);
    if (value !== undefined) input[key] = fromContextText(key, value);
  }
  if (input.environments === undefined) {
    throw new ConfigError(
      `Invalid configuration: context "environments" is not set; expected a list of LaunchDarkly environments like ${ENV_EXAMPLE} ` +
        `(in cdk.json "context", or -c 'environments=${ENV_EXAMPLE}')`,
    );
  }
  return resolveConfig(input, 'context');
}

/** Context keys the app reads besides the settings: the stack's name. */
export const APP_CONTEXT_KEYS = ['stackName'] as const;

/**
 * A context key that is not a setting is a typo (`-c streamng=true` would otherwise be ignored, and the stack
 * deployed without streaming). Keys with ':' or '/' (CDK's feature flags, "@aws-cdk/…", "aws:cdk:…", and cached
 * lookups like "availability-zones:account=…") belong to the CDK and are left alone.
 */
function checkContextKeys(contextKeys: readonly string[]): void {
  const known: readonly string[] = [...CONFIG_KEYS, ...APP_CONTEXT_KEYS];
  for (const key of contextKeys) {
    if (/[:/]/.test(key) || known.includes(key)) continue;
    const sameLetters = known.find((k) => k.toLowerCase() === key.toLowerCase());
    const hint = sameLetters ? `did you mean '${sameLetters}'? ` : closest(key, known);
    throw new ConfigError(`Invalid configuration: context key '${key}' is not a setting; ${hint}known settings: ${known.join(', ')}`);
  }
}

/** "did you mean 'x'? " for a key one or two edits away from a known one, else nothing. */
function closest(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best ? `did you mean '${best.name}'? ` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function fromContextText(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // The text is not echoed: it could hold something pasted by mistake.
      throw new ConfigError(`Invalid configuration: context "${key}" starts like JSON but is not valid JSON`);
    }
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  // A comma-separated list is the natural way to write regions on the command line.
  if (key === 'replicaRegions') return text === '' ? [] : text.split(',').map((r) => r.trim());
  return text;
}
