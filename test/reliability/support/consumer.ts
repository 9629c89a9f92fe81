// A consumer process for the load test: what a consumer Lambda does, many times over. It runs
// @launchdarkly/node-server-sdk v9 in daemon mode (useLdd) with ReadOnlyFeatureStore on the table and
// evaluates a list of flags for a list of contexts, round after round, until its stdin says "stop"; then it
// prints, as one JSON line, how often each distinct result was seen per flag and context, and every error
// the SDK or the store logged (messages about evaluating a flag that does not exist are counted by key). The test bundles this file with esbuild so that 50 of them start quickly.
// Config (argv[2], JSON): { endpoint, tableName, cacheTTL, flags: string[], contexts: object[], pauseMs }.
import { init, type LDContext } from '@launchdarkly/node-server-sdk';
import { ReadOnlyFeatureStore } from '../../../lib/store/reader.js';

interface Config {
  endpoint: string;
  tableName: string;
  cacheTTL: number;
  flags: string[];
  contexts: LDContext[];
  pauseMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const errors: string[] = [];
/** The SDK logs every evaluation of a flag that does not exist: counted by key, the test decides if expected. */
const unknownFlags: Record<string, number> = {};
const logger = {
  error: (...args: unknown[]) => {
    const text = args.join(' ');
    const unknown = /^Unknown feature flag "([^"]+)"; returning default value/.exec(text);
    if (unknown) unknownFlags[unknown[1]!] = (unknownFlags[unknown[1]!] ?? 0) + 1;
    else errors.push(`error: ${text}`);
  },
  warn: (...args: unknown[]) => errors.push(`warn: ${args.join(' ')}`),
  info() {},
  debug() {},
};
const client = init('sdk-consumer-unused', {
  useLdd: true,
  sendEvents: false,
  diagnosticOptOut: true,
  logger,
  featureStore: ReadOnlyFeatureStore(config.tableName, {
    cacheTTL: config.cacheTTL,
    clientConfig: {
      endpoint: config.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 5,
    },
    logger,
  }),
});

/** results[flag][contextIndex][result JSON] = times seen */
const results: Record<string, Record<number, Record<string, number>>> = {};
let evaluations = 0;
let rounds = 0;
let stopping = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  if (text.includes('stop')) stopping = true;
});

try {
  await client.waitForInitialization({ timeout: 30 });
} catch (err) {
  errors.push(`init: ${(err as Error).message}`);
}
process.stdout.write('ready\n');
while (!stopping) {
  // One round: every flag for every context, all at once (the store batches what one tick asks for).
  const round = config.contexts.flatMap((context, c) =>
    config.flags.map(async (flag) => {
      try {
        const detail = await client.variationDetail(flag, context, 'DEFAULT');
        const key = JSON.stringify({ value: detail.value, variationIndex: detail.variationIndex ?? null, reason: detail.reason });
        const byContext = (results[flag] ??= {});
        const seen = (byContext[c] ??= {});
        seen[key] = (seen[key] ?? 0) + 1;
        evaluations++;
      } catch (err) {
        errors.push(`variationDetail(${flag}): ${(err as Error).message}`);
      }
    }),
  );
  await Promise.all(round);
  rounds++;
  await new Promise((r) => setTimeout(r, config.pauseMs));
}
client.close();
process.stdout.write(
  `${JSON.stringify({ evaluations, rounds, results, unknownFlags, errors: errors.slice(0, 50), errorCount: errors.length })}\n`,
);
process.exit(0);
