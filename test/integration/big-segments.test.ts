// DynamoDBBigSegmentStore against rows written as LaunchDarkly's Relay Proxy writes them
// (test/support/relay-big-segments.ts): our store reads them exactly as LaunchDarkly's own DynamoDB big
// segment store does (launchdarkly-node-server-sdk-dynamodb@4, the v7 SDK's), and the v9 SDK evaluates flags on
// unbounded segments with our store exactly as with LaunchDarkly's, with the reason's bigSegmentsStatus
// LaunchDarkly documents: HEALTHY, STALE (old or missing metadata), STORE_ERROR
// (the table cannot be read), NOT_CONFIGURED (no store, or a segment without a generation).
import { createRequire } from 'node:module';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { init as initV9, type LDContext } from '@launchdarkly/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBBigSegmentStore as RootBigSegmentStore, DynamoDBFlagStore, StoreOptionsError } from '../../lib/store/index.js';
import { DynamoDBBigSegmentStore, ReadOnlyFeatureStore } from '../../lib/store/reader.js';
import { bigSegmentsContexts, bigSegmentsData, bigSegmentsKeys, bigSegmentsPatches } from '../fixtures/big-segments-data.js';
import { applyRelayPatch, hashContextKey, setSynchronizedOn } from '../support/relay-big-segments.js';
import { dynamoEndpoint, freshTable, localClient, localClientConfig, localCredentials } from '../support/tables.js';

const require = createRequire(import.meta.url);
// LaunchDarkly's v4 store loads aws-sdk v2, which prints an end-of-support notice on load.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
const { DynamoDBBigSegmentStore: OfficialBigSegmentStore } = require('launchdarkly-node-server-sdk-dynamodb');

interface Captured {
  errors: string[];
  error(...a: unknown[]): void;
  warn(): void;
  info(): void;
  debug(): void;
}
const capturing = (): Captured => {
  const errors: string[] = [];
  return { errors, error: (...a) => errors.push(a.join(' ')), warn() {}, info() {}, debug() {} };
};
const officialOptions = (prefix: string | undefined) => ({
  prefix,
  cacheTTL: 0,
  clientOptions: { endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: localCredentials },
});

type Outcome = { value: unknown; variationIndex: number | null; reason: unknown };
type Evaluate = (flag: string, ctx: LDContext) => Promise<{ value: unknown; variationIndex?: number | null; reason?: unknown }>;

async function evaluateAll(evaluate: Evaluate): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  for (const flag of Object.keys(bigSegmentsData.flags)) {
    for (const ctx of bigSegmentsContexts) {
      const d = await evaluate(flag, ctx as LDContext);
      out[`${flag} ${JSON.stringify(ctx)}`] = { value: d.value, variationIndex: d.variationIndex ?? null, reason: d.reason };
    }
  }
  return out;
}

/**
 * The v9 SDK in daemon mode with our read-only flag store and the given big segment store: ours, or
 * LaunchDarkly's (its v4 store has the interface the v9 SDK calls), so that only the store differs.
 */
async function evaluations(bigSegmentStore: unknown, prefix: string | undefined, logger = capturing()) {
  const client = initV9('sdk-daemon', {
    featureStore: ReadOnlyFeatureStore(table, { prefix, clientConfig: localClientConfig() }),
    ...(bigSegmentStore ? { bigSegments: { store: bigSegmentStore as never } } : {}),
    useLdd: true,
    sendEvents: false,
    diagnosticOptOut: true,
    logger,
  });
  await client.waitForInitialization({ timeout: 10 });
  try {
    return await evaluateAll((f, c) => client.variationDetail(f, c, 'default'));
  } finally {
    client.close();
  }
}

const ours = (segmentTable: string, prefix: string) =>
  DynamoDBBigSegmentStore(segmentTable, { prefix, clientOptions: localClientConfig() });
const launchDarkly = (segmentTable: string, prefix: string) => OfficialBigSegmentStore(segmentTable, officialOptions(prefix));

const status = (outcomes: Record<string, Outcome>, flag: string, key: string) => {
  const entry = Object.entries(outcomes).find(([k]) => k.startsWith(`${flag} `) && k.includes(`"key":"${key}"`) && !k.includes('multi'));
  const o = entry![1];
  return { value: o.value, status: (o.reason as { bigSegmentsStatus?: string }).bigSegmentsStatus };
};

const client = localClient();
let table: string;
afterAll(() => client.destroy());

/** Flags under `prefix`, and the Relay-written rows with synchronizedOn = `syncedAt` (none if undefined). */
async function environment(prefix: string | undefined, syncedAt: number | undefined): Promise<void> {
  await new DynamoDBFlagStore({ tableName: table, prefix, client }).init(bigSegmentsData);
  for (const patch of bigSegmentsPatches) expect(await applyRelayPatch(client, table, prefix, patch)).toBe(true);
  if (syncedAt !== undefined) await setSynchronizedOn(client, table, prefix, syncedAt);
}

beforeAll(async () => {
  table = await freshTable(client, 'bigseg');
});

describe.each([undefined, 'env-a'])('DynamoDBBigSegmentStore reads Relay-written rows (prefix %s)', (prefix) => {
  it('exactly as LaunchDarkly’s own DynamoDB big segment store does', async () => {
    const syncedAt = Date.now() - 1234;
    await environment(prefix, syncedAt);
    // a decoy environment under another prefix, which neither store may see
    const decoy = prefix ? undefined : 'decoy';
    await applyRelayPatch(client, table, decoy, {
      segmentId: 'beta-testers.g2',
      version: '1',
      previousVersion: '',
      excluded: { add: bigSegmentsKeys },
    });
    await setSynchronizedOn(client, table, decoy, 42);

    const ours = DynamoDBBigSegmentStore(table, { prefix, clientOptions: localClientConfig() })(undefined as never);
    const theirs = OfficialBigSegmentStore(table, officialOptions(prefix))({});
    try {
      expect(await ours.getMetadata()).toEqual({ lastUpToDate: syncedAt });
      expect((await theirs.getMetadata()).lastUpToDate).toBe(syncedAt);
      for (const key of bigSegmentsKeys) {
        const hash = hashContextKey(key);
        // LaunchDarkly's v4 store answers null for "no row", ours undefined (as LaunchDarkly's v9 store): the SDKs treat both alike
        expect(await ours.getUserMembership(hash), key).toEqual((await theirs.getUserMembership(hash)) ?? undefined);
      }
      expect(await ours.getUserMembership(hashContextKey('alice'))).toEqual({ 'beta-testers.g2': true, 'legacy.g2': true });
      expect(await ours.getUserMembership(hashContextKey('both'))).toEqual({ 'beta-testers.g2': true }); // included wins
      expect(await ours.getUserMembership(hashContextKey('bob'))).toEqual({ 'beta-testers.g2': false });
      expect(await ours.getUserMembership(hashContextKey('carol'))).toEqual({}); // row left with no set
      expect(await ours.getUserMembership(hashContextKey('dave'))).toBeUndefined();
    } finally {
      ours.close();
      theirs.close();
    }
  });
});

describe('the v9 SDK with our big segment store evaluates unbounded segments as with LaunchDarkly’s', () => {
  it('fresh metadata: HEALTHY; included, excluded, removed, unknown, other kinds and generations', async () => {
    await environment('healthy', Date.now());
    const got = await evaluations(ours(table, 'healthy'), 'healthy');
    expect(got).toEqual(await evaluations(launchDarkly(table, 'healthy'), 'healthy'));
    expect(status(got, 'beta-ui', 'alice')).toEqual({ value: true, status: 'HEALTHY' });
    expect(status(got, 'beta-ui', 'bob')).toEqual({ value: false, status: 'HEALTHY' }); // excluded beats the email rule
    expect(status(got, 'beta-ui', 'both')).toEqual({ value: true, status: 'HEALTHY' });
    expect(status(got, 'beta-ui', 'carol')).toEqual({ value: true, status: 'HEALTHY' }); // no longer included: the rule decides
    expect(status(got, 'beta-ui', 'dave')).toEqual({ value: false, status: 'HEALTHY' });
    expect(status(got, 'org-feature', 'acme')).toEqual({ value: true, status: 'HEALTHY' });
    expect(status(got, 'legacy-feature', 'alice')).toEqual({ value: false, status: 'HEALTHY' }); // g2 row, segment at g3
    expect(status(got, 'unsynced-feature', 'alice')).toEqual({ value: false, status: 'NOT_CONFIGURED' });
  });

  it('metadata older than staleAfter: STALE, and the membership still applies', async () => {
    await environment('stale', Date.now() - 10 * 60_000);
    const got = await evaluations(ours(table, 'stale'), 'stale');
    expect(got).toEqual(await evaluations(launchDarkly(table, 'stale'), 'stale'));
    expect(status(got, 'beta-ui', 'alice')).toEqual({ value: true, status: 'STALE' });
    expect(status(got, 'beta-ui', 'bob')).toEqual({ value: false, status: 'STALE' });
  });

  it('no metadata row (never synchronized): STALE', async () => {
    await environment('unsynced', undefined);
    const got = await evaluations(ours(table, 'unsynced'), 'unsynced');
    expect(got).toEqual(await evaluations(launchDarkly(table, 'unsynced'), 'unsynced'));
    expect(status(got, 'beta-ui', 'alice')).toEqual({ value: true, status: 'STALE' });
  });

  it('a big segment table that cannot be read: STORE_ERROR, the segment’s rules decide, and the error names the table', async () => {
    await environment('broken', Date.now());
    const ourLog = capturing();
    const got = await evaluations(ours('no-such-table', 'broken'), 'broken', ourLog);
    expect(got).toEqual(await evaluations(launchDarkly('no-such-table', 'broken'), 'broken'));
    expect(status(got, 'beta-ui', 'alice')).toEqual({ value: false, status: 'STORE_ERROR' });
    expect(status(got, 'beta-ui', 'carol')).toEqual({ value: true, status: 'STORE_ERROR' });
    expect(ourLog.errors.join('\n')).toMatch(
      /could not read "broken:big_segments_user" from DynamoDB table "no-such-table" \(prefix "broken"\): ResourceNotFoundException/,
    );
  });

  it('no big segment store configured: NOT_CONFIGURED', async () => {
    await environment('none', Date.now());
    const got = await evaluations(undefined, 'none');
    expect(status(got, 'beta-ui', 'alice')).toEqual({ value: false, status: 'NOT_CONFIGURED' });
  });
});

describe('DynamoDBBigSegmentStore options', () => {
  it('takes LaunchDarkly’s options, is the same export at the package root, and rejects what LaunchDarkly’s would mislead on', async () => {
    expect(RootBigSegmentStore).toBe(DynamoDBBigSegmentStore);
    await environment('opts', 1_700_000_000_000);
    const logger = capturing();
    // cacheTTL is accepted and ignored, as LaunchDarkly documents; dynamoDBClient is used and not destroyed
    const store = DynamoDBBigSegmentStore(table, { prefix: 'opts', cacheTTL: null, logger, dynamoDBClient: client })(undefined as never);
    expect(await store.getMetadata()).toEqual({ lastUpToDate: 1_700_000_000_000 });
    store.close();
    expect((await client.send(new ListTablesCommand({}))).TableNames).toContain(table); // the given client still works
    await expect(store.getMetadata()).rejects.toThrow(/the store is closed/);

    expect(() => DynamoDBBigSegmentStore(table, { prefx: 'opts' } as never)).toThrow("DynamoDBBigSegmentStore: Unknown option 'prefx'");
    expect(() => DynamoDBBigSegmentStore(table, { client, clientConfig: {} } as never)).toThrow(StoreOptionsError);
  });
});
