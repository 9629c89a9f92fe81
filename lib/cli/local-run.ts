// `npm start`: the whole job on one machine, with no AWS account and no LaunchDarkly key. Starts DynamoDB
// Local in memory, creates the table, syncs the example environment (or, with LD_SDK_KEY, the real one) through
// the same sync core the Lambda functions use, then evaluates flags through @launchdarkly/node-server-sdk in
// daemon mode with ReadOnlyFeatureStore, and prints each step. Switches let it use an existing DynamoDB
// endpoint or a real table instead (see START_HELP).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JavaNotFoundError, startDynamoDBLocal, type DynamoDBLocal } from '../local/dynamodb-local.js';
import { readDataFile } from '../launchdarkly/file.js';
import { PollingClient } from '../launchdarkly/polling.js';
import { DynamoDBFlagStore } from '../store/index.js';
import { runFileSync, runPollSync, type SyncReport } from '../sync/index.js';
import { ldUri, parse, tableName as tableNameOf, url } from './args.js';
import { checkTable, dynamoClientConfig, DynamoDBClient, failureContext } from './dynamodb.js';
import { optionalEnv } from './env.js';
import { CliError, describeFailure, type FailureContext, UsageError } from './errors.js';
import { DEMO_CONTEXTS, DEMO_FLAGS, evaluateFromTable, formatEvaluationLine, sdkLogger, type LabelledContext } from './evaluate.js';
import { DEFAULT_BASE_URI } from '../launchdarkly/service-uri.js';
import { formatDuration, redacting, stderrLogger, type CliIO } from './output.js';

export const EXAMPLE_FILE = fileURLToPath(new URL('../../examples/environment.json', import.meta.url));
export const DEFAULT_LOCAL_TABLE = 'ld-dynamodb-sync-local';

export const START_HELP = `Usage: npm start [-- options]

Runs the whole job locally: starts DynamoDB Local (embedded, in memory; needs Java 17+), creates the table,
syncs examples/environment.json into it through the sync core, evaluates flags through
@launchdarkly/node-server-sdk in daemon mode with ReadOnlyFeatureStore, prints what happened, and stops
DynamoDB Local. No AWS account or LaunchDarkly key needed.

With LD_SDK_KEY set, it syncs your LaunchDarkly environment (one poll) instead of the example file.

Options:
  --file PATH               sync this latest-all JSON file instead of the example
  --table NAME              table name (default: TABLE_NAME, else ${DEFAULT_LOCAL_TABLE})
  --prefix P                key prefix of the environment in the table (default: none)
  --dynamodb-endpoint URL   use this DynamoDB (e.g. a DynamoDB Local you run) instead of starting one
  --no-local                use DynamoDB in your AWS account (default credentials, AWS_REGION);
                            needs --table or TABLE_NAME, and --create-table if the table does not exist
  --region REGION           AWS region (default: AWS_REGION or your AWS configuration)
  --create-table            create the table if missing (always done for the embedded DynamoDB Local)
  --base-uri URL            LaunchDarkly polling base URI (default: LD_BASE_URI or ${DEFAULT_BASE_URI})
  --flag KEY                evaluate this flag (repeatable; default: the demo flags, or the first 8 synced)
  --all-flags               evaluate every synced flag
  --context JSON            evaluate for this context (repeatable; default: four demo contexts),
                            e.g. --context '{"kind":"user","key":"u1","country":"NZ"}'
  --keep-running            keep DynamoDB Local running after the demo, until Ctrl-C, to try the CLI on it
  -h, --help                show this help

Environment:
  LD_SDK_KEY                sync from LaunchDarkly (poll) instead of the example file; never printed
  TABLE_NAME                default for --table
  AWS_REGION, AWS_PROFILE…  for --no-local
`;

const OPTIONS = {
  file: { type: 'string' },
  table: { type: 'string' },
  prefix: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  local: { type: 'boolean' },
  region: { type: 'string' },
  'create-table': { type: 'boolean' },
  'base-uri': { type: 'string' },
  flag: { type: 'string', multiple: true },
  'all-flags': { type: 'boolean' },
  context: { type: 'string', multiple: true },
  'keep-running': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Values {
  file?: string;
  table?: string;
  prefix?: string;
  'dynamodb-endpoint'?: string;
  local?: boolean;
  region?: string;
  'create-table'?: boolean;
  'base-uri'?: string;
  flag?: string[];
  'all-flags'?: boolean;
  context?: string[];
  'keep-running'?: boolean;
  help?: boolean;
}

interface StartPlan {
  mode: 'embedded' | 'endpoint' | 'aws';
  endpoint?: string;
  region?: string;
  tableName: string;
  prefix?: string;
  createTable: boolean;
  source: { kind: 'file'; file: string } | { kind: 'poll'; sdkKey: string; baseUri: string };
  flags?: string[];
  allFlags: boolean;
  contexts: LabelledContext[];
  keepRunning: boolean;
}

const C = 'start';

function plan(argv: string[], io: CliIO): StartPlan | 'help' {
  const { values: v } = parse<Values>(argv, OPTIONS, C);
  if (v.help) return 'help';
  const endpoint = url(v['dynamodb-endpoint'], 'dynamodb-endpoint', C);
  const aws = v.local === false;
  if (aws && endpoint) throw new UsageError("Options '--no-local' and '--dynamodb-endpoint' conflict: pick AWS or an endpoint", C);
  if (v.local === true) throw new UsageError("Option '--local' is the default; did you mean '--no-local'?", C);
  const givenTable = v.table || optionalEnv(io.env, 'TABLE_NAME');
  const tableName =
    givenTable === undefined ? undefined : tableNameOf(givenTable, 'table', C, v.table ? undefined : 'Environment variable TABLE_NAME');
  if (aws && !tableName)
    throw new UsageError("Option '--table' (or TABLE_NAME) is required with --no-local: the DynamoDB table in your AWS account", C);
  const sdkKey = optionalEnv(io.env, 'LD_SDK_KEY');
  if (sdkKey && v.file)
    throw new UsageError(
      "Option '--file' conflicts with LD_SDK_KEY: unset LD_SDK_KEY to sync a file, or drop --file to sync from LaunchDarkly",
      C,
    );
  if (!sdkKey && v['base-uri']) throw new UsageError("Option '--base-uri' needs LD_SDK_KEY: it is where the LaunchDarkly poll goes", C);
  if (v['all-flags'] && v.flag) throw new UsageError("Options '--all-flags' and '--flag' conflict", C);
  const contexts = (v.context ?? []).map((json, i) => parseContext(json, i));
  return {
    mode: aws ? 'aws' : endpoint ? 'endpoint' : 'embedded',
    endpoint,
    region: v.region || undefined,
    tableName: tableName ?? DEFAULT_LOCAL_TABLE,
    prefix: v.prefix || undefined,
    createTable: !aws || (v['create-table'] ?? false),
    source: sdkKey
      ? { kind: 'poll', sdkKey, baseUri: ldUri(v['base-uri'] ?? optionalEnv(io.env, 'LD_BASE_URI'), 'base-uri', C) ?? DEFAULT_BASE_URI }
      : { kind: 'file', file: v.file ? path.resolve(io.cwd ?? process.cwd(), v.file) : EXAMPLE_FILE },
    flags: v.flag,
    allFlags: v['all-flags'] ?? false,
    contexts: contexts.length ? contexts : DEMO_CONTEXTS,
    keepRunning: v['keep-running'] ?? false,
  };
}

function parseContext(json: string, index: number): LabelledContext {
  let ctx: unknown;
  try {
    ctx = JSON.parse(json);
  } catch (err) {
    throw new UsageError(
      `Option '--context' #${index + 1} is not JSON (${(err as Error).message}); expected e.g. '{"kind":"user","key":"u1"}'`,
      C,
    );
  }
  const c = ctx as { kind?: unknown; key?: unknown };
  if (!ctx || typeof ctx !== 'object' || typeof c.kind !== 'string' || (c.kind !== 'multi' && typeof c.key !== 'string')) {
    throw new UsageError(`Option '--context' #${index + 1} must be a LaunchDarkly context object with "kind" and "key", got ${json}`, C);
  }
  const label =
    c.kind === 'multi'
      ? `multi ${Object.keys(ctx)
          .filter((k) => k !== 'kind')
          .join('+')}`
      : `${c.kind}:${c.key}`;
  return { label, context: ctx as LabelledContext['context'] };
}

type Plan = Exclude<ReturnType<typeof plan>, 'help'>;

/** What a run holds open, released in runLocal's finally; `ctx` names the table and endpoint in failures. */
interface RunState {
  ddb?: DynamoDBLocal;
  client?: DynamoDBClient;
  ctx: FailureContext;
}

/** Runs the local demo; resolves with the exit code and never rejects. */
export async function runLocal(argv: string[], io: CliIO): Promise<number> {
  const safe: CliIO = {
    ...io,
    stdout: redacting(io.stdout, [io.env.LD_SDK_KEY?.trim()]),
    stderr: redacting(io.stderr, [io.env.LD_SDK_KEY?.trim()]),
  };
  const state: RunState = { ctx: {} };
  try {
    const p = plan(argv, safe);
    if (p === 'help') {
      safe.stdout.write(START_HELP);
      return 0;
    }
    await runSteps(p, safe, state);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      safe.stderr.write(`npm start: ${err.message} (see 'npm start -- --help')\n`);
      return 2;
    }
    safe.stderr.write(`npm start: ${describeFailure(err, state.ctx)}\n`);
    return 1;
  } finally {
    state.client?.destroy();
    await state.ddb?.stop().catch(() => {});
  }
}

/** The numbered steps the demo prints: DynamoDB, table, sync, evaluations, then stop. */
async function runSteps(p: Plan, safe: CliIO, state: RunState): Promise<void> {
  const out = safe.stdout;
  const interrupted = () => {
    if (safe.signal?.aborted) throw new CliError('Interrupted');
  };
  out.write('ld-dynamodb-sync local run\n\n');
  // A file that cannot be synced fails before anything is started or created.
  if (p.source.kind === 'file') await readDataFile(p.source.file);

  const { clientConfig, client } = await prepareTable(p, safe, state);
  interrupted();
  const flags = await syncStep(p, safe, state, client);
  interrupted();
  await evaluateStep(p, safe, clientConfig, flags);

  if (state.ddb && p.keepRunning) await keepRunning(p, safe, state.ddb);
  if (state.ddb) {
    await state.ddb.stop();
    state.ddb = undefined;
    out.write('5. Stopped DynamoDB Local.\n');
  }
  out.write(
    '\nNext: `npm test` runs the test suite; `npm run cli -- --help` shows the CLI;\n' +
      'with LD_SDK_KEY set, `npm start` syncs your own LaunchDarkly environment.\n',
  );
}

/** Steps 1 and 2: DynamoDB (embedded, an endpoint or the account) and the table. */
async function prepareTable(p: Plan, safe: CliIO, state: RunState) {
  const out = safe.stdout;
  let endpoint = p.endpoint;
  if (p.mode === 'embedded') {
    const t0 = Date.now();
    state.ddb = await startLocal();
    endpoint = state.ddb.endpoint;
    out.write(`1. Started DynamoDB Local (in memory, pid ${state.ddb.pid}) at ${endpoint} in ${formatDuration(Date.now() - t0)}\n`);
  } else if (p.mode === 'endpoint') {
    out.write(`1. Using DynamoDB at ${endpoint}\n`);
  } else {
    out.write(`1. Using DynamoDB in your AWS account${p.region ? ` (region ${p.region})` : ''}\n`);
  }
  const clientConfig = dynamoClientConfig({ endpoint, region: p.region }, safe.env);
  state.ctx = failureContext(p.tableName, { endpoint, region: p.region }, clientConfig);
  const client = new DynamoDBClient(clientConfig);
  state.client = client;
  const created = await checkTable(client, state.ctx, { create: p.createTable });
  out.write(
    `2. Table '${p.tableName}' ${created === 'created' ? 'created' : created === 'exists' ? 'exists' : 'assumed to exist'}` +
      ` (LaunchDarkly's layout: partition key namespace, sort key key)${p.prefix ? `, prefix '${p.prefix}'` : ''}\n`,
  );
  return { clientConfig, client };
}

/** Step 3: the sync, through the same core as the Lambda functions; resolves with the flags now in the table. */
async function syncStep(p: Plan, safe: CliIO, state: RunState, client: DynamoDBClient) {
  const logger = stderrLogger(safe.stderr, false);
  state.ctx = { ...state.ctx, errorsShown: logger.errorsShown };
  const store = new DynamoDBFlagStore({ tableName: p.tableName, prefix: p.prefix, client, logger });
  let report: SyncReport;
  let from: string;
  if (p.source.kind === 'file') {
    from = path.relative(safe.cwd ?? process.cwd(), p.source.file) || p.source.file;
    report = await runFileSync({ store, path: p.source.file });
  } else {
    from = `LaunchDarkly (poll ${p.source.baseUri}, SDK key from LD_SDK_KEY)`;
    report = await runPollSync({ store, poller: new PollingClient({ sdkKey: p.source.sdkKey, baseUri: p.source.baseUri }) });
  }
  const [flags, segments, status] = await Promise.all([store.all('features'), store.all('segments'), store.syncStatus()]);
  safe.stdout.write(
    `3. Synced ${from}: ${Object.keys(flags).length} flags and ${Object.keys(segments).length} segments in the table; ` +
      `${report.written} items written, ${report.unchanged} unchanged, ${report.deleted} deleted in ${formatDuration(report.durationMs)}\n`,
  );
  if (status) safe.stdout.write(`   Sync status recorded in the table: source ${status.source} at ${status.syncedAt.toISOString()}\n`);
  return flags;
}

/** Step 4: evaluations as a consumer Lambda makes them. */
async function evaluateStep(p: Plan, safe: CliIO, clientConfig: ReturnType<typeof dynamoClientConfig>, flags: Record<string, unknown>) {
  const out = safe.stdout;
  const has = (key: string) => Object.hasOwn(flags, key);
  const keys = Object.keys(flags).sort();
  const chosen = p.flags ?? (p.allFlags ? keys : DEMO_FLAGS.filter(has));
  const flagKeys = chosen.length ? chosen : keys.slice(0, 8);
  out.write(
    `4. Evaluating ${flagKeys.length} flag(s) for ${p.contexts.length} context(s) through @launchdarkly/node-server-sdk ` +
      'in daemon mode (useLdd), reading the table with ReadOnlyFeatureStore:\n',
  );
  const evaluations = await evaluateFromTable({
    tableName: p.tableName,
    prefix: p.prefix,
    clientConfig,
    flags: flagKeys,
    contexts: p.contexts,
    logger: sdkLogger(safe.stderr),
  });
  let current: string | undefined;
  for (const e of evaluations) {
    const flag = has(e.flag) ? flags[e.flag] : undefined;
    if (e.flag !== current) {
      current = e.flag;
      out.write(`\n${e.flag}${flag ? '' : '  (not in the table)'}\n`);
    }
    out.write(`${formatEvaluationLine(e.label, e, flag as Parameters<typeof formatEvaluationLine>[2])}\n`);
  }
  out.write('\n');
}

/** With --keep-running: says how to use the table, then waits for Ctrl-C or SIGTERM. */
async function keepRunning(p: Plan, safe: CliIO, ddb: DynamoDBLocal): Promise<void> {
  // DynamoDB Local runs with -sharedDb, so any credentials see the table; these are the variables the
  // consumer snippet (docs/package.md) and the AWS SDK read.
  const snippetEnv = [
    `FLAG_TABLE=${p.tableName}`,
    ...(p.prefix ? [`FLAG_PREFIX=${p.prefix}`] : []),
    `AWS_ENDPOINT_URL_DYNAMODB=${ddb.endpoint}`,
    'AWS_REGION=us-east-1',
    'AWS_ACCESS_KEY_ID=local',
    'AWS_SECRET_ACCESS_KEY=local',
  ];
  safe.stdout.write(
    `DynamoDB Local keeps running at ${ddb.endpoint} until Ctrl-C (or SIGTERM). Try, in another terminal:\n` +
      `  npm run cli -- status --table ${p.tableName}${p.prefix ? ` --prefix ${p.prefix}` : ''} --dynamodb-endpoint ${ddb.endpoint}\n` +
      `  or run a consumer handler (docs/package.md) with: ${snippetEnv.join(' ')}\n`,
  );
  await new Promise<void>((resolve) => {
    if (!safe.signal || safe.signal.aborted) return resolve();
    safe.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function startLocal(): Promise<DynamoDBLocal> {
  try {
    return await startDynamoDBLocal();
  } catch (err) {
    const msg = (err as Error).message;
    if (err instanceof JavaNotFoundError) throw new CliError(`${msg}; or pass --dynamodb-endpoint URL, or --no-local`, { cause: err });
    throw new CliError(`Could not start DynamoDB Local: ${msg}`, { cause: err });
  }
}
