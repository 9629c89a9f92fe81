// The reference every evaluation test compares against: @launchdarkly/node-server-sdk v9 holding a data set
// in memory (TestData), with events off. One builder, so what "the SDK with the same data" means is set once.
import { init, integrations, type LDClient, type LDLogger, type LDOptions } from '@launchdarkly/node-server-sdk';
import type { FullDataSet } from '../../lib/store/types.js';

const quiet: LDLogger = { error() {}, warn() {}, info() {}, debug() {} };

/** An initialised SDK client evaluating `data` from memory; the caller closes it. */
export async function memorySdk(data: FullDataSet, options: LDOptions = {}): Promise<LDClient> {
  const td = new integrations.TestData();
  for (const s of Object.values(data.segments)) await td.usePreconfiguredSegment(s);
  for (const f of Object.values(data.flags)) await td.usePreconfiguredFlag(f);
  const client = init('sdk-in-memory', {
    sendEvents: false,
    diagnosticOptOut: true,
    logger: quiet,
    ...options,
    updateProcessor: td.getFactory(),
  });
  await client.waitForInitialization({ timeout: 10 });
  return client;
}
