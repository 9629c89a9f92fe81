// The minimal consumer Lambda for the benchmarks, our way: @launchdarkly/node-server-sdk v9 in daemon mode
// (useLdd) over ReadOnlyFeatureStore, which consumers import as `ld-dynamodb-sync/store`. The client is
// built once at cold start, outside the handler, as a Lambda should. bench/consumer/peer.cjs is the same
// function with LaunchDarkly's v7 SDK and DynamoDB store; both are bundled with identical esbuild settings.
import { basicLogger, init, type LDContext } from '@launchdarkly/node-server-sdk';
import { ReadOnlyFeatureStore } from '../../lib/store/reader.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}

const endpoint = process.env.DYNAMODB_ENDPOINT;

/** When the SDK client was created (epoch ms), for the benchmark's "client init to first evaluation". */
export const initStartedAt = performance.timeOrigin + performance.now();

export const client = init(process.env.LD_SDK_KEY || 'sdk-daemon-mode', {
  useLdd: true,
  sendEvents: false,
  diagnosticOptOut: true,
  logger: basicLogger({ level: 'error' }),
  featureStore: ReadOnlyFeatureStore(required('TABLE_NAME'), {
    prefix: process.env.FLAG_PREFIX || undefined,
    clientConfig: endpoint ? { endpoint } : {},
  }),
});

/** Evaluates `flags` for `context`, concurrently. */
export async function handler(event: { flags: string[]; context: LDContext }): Promise<Record<string, unknown>> {
  await client.waitForInitialization({ timeout: 5 });
  const values = await Promise.all(event.flags.map((key) => client.variation(key, event.context, null)));
  return Object.fromEntries(event.flags.map((key, i) => [key, values[i]]));
}
