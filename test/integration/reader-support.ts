// Helpers for the ReadOnlyFeatureStore tests (reader.test.ts, reader-scale.test.ts): a small environment
// whose flags reach every evaluation path (prerequisites, segments two levels deep, targets, a rollout), a
// decoy of it for the other key prefix, and the store under the real @launchdarkly/node-server-sdk v9,
// either in daemon mode or called directly.
import {
  init,
  type LDClient,
  type LDClientContext,
  type LDContext,
  type LDFeatureStore,
  type LDFlagsState,
} from '@launchdarkly/node-server-sdk';
import type { Flag, FullDataSet, Segment } from '../../lib/store/index.js';
import { ReadOnlyFeatureStore, type ReadOnlyFeatureStoreOptions } from '../../lib/store/reader.js';

export interface CapturingLogger {
  error(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  info(...a: unknown[]): void;
  debug(...a: unknown[]): void;
  errors: string[];
  warnings: string[];
}
export function capturingLogger(): CapturingLogger {
  const errors: string[] = [];
  const warnings: string[] = [];
  return {
    errors,
    warnings,
    error: (...a) => errors.push(a.join(' ')),
    warn: (...a) => warnings.push(a.join(' ')),
    info() {},
    debug() {},
  };
}

export const flag = (key: string, version: number, extra: Partial<Flag> = {}): Flag => ({
  key,
  version,
  on: true,
  prerequisites: [],
  targets: [],
  contextTargets: [],
  rules: [],
  fallthrough: { variation: 1 },
  offVariation: 1,
  variations: [true, false],
  salt: `salt-${key}`,
  ...extra,
});
export const segment = (key: string, version: number, extra: Partial<Segment> = {}): Segment => ({
  key,
  version,
  included: [],
  excluded: [],
  includedContexts: [],
  excludedContexts: [],
  rules: [],
  salt: `salt-${key}`,
  ...extra,
});
export const segmentRule = (id: string, segmentKey: string, variation = 0) => ({
  id,
  clauses: [{ contextKind: 'user', attribute: '', op: 'segmentMatch', values: [segmentKey], negate: false }],
  variation,
});

/**
 * The five flags of FIVE: `checkout` needs `payments` (not among the five) to serve variation 0, `beta`
 * matches the `testers` segment; the other three are plain. Besides: `internal-tools` matches `insiders`,
 * a segment that itself matches `staff` (two levels of segments).
 */
export function smallEnvironment(): FullDataSet {
  const flags = [
    flag('payments', 3, {
      targets: [{ values: ['blocked'], variation: 1 }],
      contextTargets: [{ contextKind: 'user', values: [], variation: 1 }],
      fallthrough: { variation: 0 },
    }),
    flag('checkout', 7, { prerequisites: [{ key: 'payments', variation: 0 }], fallthrough: { variation: 0 } }),
    flag('beta', 2, { rules: [segmentRule('r1', 'testers')] }),
    flag('internal-tools', 6, { rules: [segmentRule('r2', 'insiders')] }),
    flag('banner', 1, { variations: ['red', 'blue'], fallthrough: { variation: 1 } }),
    flag('limit', 4, { variations: [10, 100], fallthrough: { variation: 0 } }),
    flag('search-v2', 9, {
      targets: [{ values: ['u-target'], variation: 0 }],
      contextTargets: [{ contextKind: 'user', values: [], variation: 0 }],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 0, weight: 50_000 },
            { variation: 1, weight: 50_000 },
          ],
        },
      },
    }),
  ];
  const segments = [
    segment('testers', 5, {
      included: ['u-tester'],
      rules: [
        { id: 's1', clauses: [{ contextKind: 'user', attribute: 'email', op: 'endsWith', values: ['@testers.test'], negate: false }] },
      ],
    }),
    segment('insiders', 2, {
      rules: [{ id: 's2', clauses: [{ contextKind: 'user', attribute: '', op: 'segmentMatch', values: ['staff'], negate: false }] }],
    }),
    segment('staff', 1, {
      rules: [{ id: 's3', clauses: [{ contextKind: 'user', attribute: 'email', op: 'endsWith', values: ['@staff.test'], negate: false }] }],
    }),
  ];
  return { flags: Object.fromEntries(flags.map((f) => [f.key, f])), segments: Object.fromEntries(segments.map((s) => [s.key, s])) };
}
export const FIVE = ['checkout', 'beta', 'banner', 'limit', 'search-v2'];

/** The same data with every variation served swapped, written under the other prefix: a reader must never see it. */
export function decoyOf(env: FullDataSet): FullDataSet {
  const flags: Record<string, Flag> = {};
  for (const [k, f] of Object.entries(env.flags))
    flags[k] = { ...f, on: false, offVariation: 0, variations: [...(f.variations as unknown[])].reverse() };
  return { flags, segments: {} };
}

export const user = (key: string, extra: Record<string, unknown> = {}): LDContext => ({ kind: 'user', key, ...extra });

export async function readerSdk(tableName: string, options: ReadOnlyFeatureStoreOptions, logger = capturingLogger()): Promise<LDClient> {
  const client = init('sdk-reader', {
    useLdd: true,
    featureStore: ReadOnlyFeatureStore(tableName, options),
    sendEvents: false,
    diagnosticOptOut: true,
    logger,
  });
  await client.waitForInitialization({ timeout: 10 });
  return client;
}

export function storeFor(tableName: string, options: ReadOnlyFeatureStoreOptions, logger = capturingLogger()): LDFeatureStore {
  const context = { basicConfiguration: { sdkKey: 'unused', serviceEndpoints: {}, logger }, platform: {} } as unknown as LDClientContext;
  return ReadOnlyFeatureStore(tableName, options)(context);
}

export const comparable = (state: LDFlagsState) => state.toJSON();
