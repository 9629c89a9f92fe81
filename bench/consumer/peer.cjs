// The minimal consumer Lambda for the benchmarks, LaunchDarkly's way: launchdarkly-node-server-sdk v7 in
// daemon mode (useLdd) over launchdarkly-node-server-sdk-dynamodb, with its default cache TTL. Same shape
// as bench/consumer/ours.ts; both are bundled with identical esbuild settings.
const LaunchDarkly = require('launchdarkly-node-server-sdk');
const { DynamoDBFeatureStore } = require('launchdarkly-node-server-sdk-dynamodb');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}

const endpoint = process.env.DYNAMODB_ENDPOINT;

const initStartedAt = performance.timeOrigin + performance.now();

const client = LaunchDarkly.init(process.env.LD_SDK_KEY || 'sdk-daemon-mode', {
  useLdd: true,
  sendEvents: false,
  diagnosticOptOut: true,
  logger: LaunchDarkly.basicLogger({ level: 'error' }),
  featureStore: DynamoDBFeatureStore(required('TABLE_NAME'), {
    prefix: process.env.FLAG_PREFIX || undefined,
    clientOptions: endpoint ? { endpoint } : {},
  }),
});

async function handler(event) {
  await client.waitForInitialization();
  const values = await Promise.all(event.flags.map((key) => client.variation(key, event.context, null)));
  return Object.fromEntries(event.flags.map((key, i) => [key, values[i]]));
}

module.exports = { client, handler, initStartedAt };
