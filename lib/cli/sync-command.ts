// `ld-dynamodb-sync sync`: one sync into a table from LaunchDarkly (poll or a bounded stream session) or from
// a file, through the same sync core the Lambda functions use. Prints a summary; on failure the caller prints
// one line and exits non-zero.
import path from 'node:path';
import { readDataFile } from '../launchdarkly/file.js';
import { PollingClient } from '../launchdarkly/polling.js';
import { StreamingClient } from '../launchdarkly/streaming.js';
import { DynamoDBFlagStore } from '../store/index.js';
import { runFileSync, runPollSync, runStreamSync, type StreamSyncReport, type SyncProgress, type SyncReport } from '../sync/index.js';
import { ldUri, oneOf, parse, required, seconds, tableName as tableNameOf, url } from './args.js';
import { checkTable, dynamoClientConfig, DynamoDBClient, failureContext } from './dynamodb.js';
import { optionalEnv, requireEnv } from './env.js';
import { CliError, describeFailure, UsageError } from './errors.js';
import { DEFAULT_BASE_URI, DEFAULT_STREAM_URI } from '../launchdarkly/service-uri.js';
import { SYNC_HELP } from './help.js';
import { formatDuration, startProgress, stderrLogger, table, type CliIO, type Output } from './output.js';

const OPTIONS = {
  source: { type: 'string' },
  table: { type: 'string' },
  prefix: { type: 'string' },
  file: { type: 'string' },
  duration: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  region: { type: 'string' },
  'create-table': { type: 'boolean' },
  'base-uri': { type: 'string' },
  'stream-uri': { type: 'string' },
  progress: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Values {
  source?: string;
  table?: string;
  prefix?: string;
  file?: string;
  duration?: string;
  'dynamodb-endpoint'?: string;
  region?: string;
  'create-table'?: boolean;
  'base-uri'?: string;
  'stream-uri'?: string;
  progress?: string;
  json?: boolean;
  verbose?: boolean;
  help?: boolean;
}

const SOURCES = ['poll', 'stream', 'file'] as const;
type Source = (typeof SOURCES)[number];

/** Everything `sync` needs, validated: the result of reading argv and the environment. */
export interface SyncPlan {
  source: Source;
  tableName: string;
  prefix?: string;
  file?: string;
  durationMs?: number;
  endpoint?: string;
  region?: string;
  createTable: boolean;
  baseUri: string;
  streamUri: string;
  sdkKey?: string;
  progressMs?: number;
  json: boolean;
  verbose: boolean;
}

export function planSync(argv: string[], io: CliIO): SyncPlan | 'help' {
  const C = 'sync';
  const { values: v } = parse<Values>(argv, OPTIONS, C);
  if (v.help) return 'help';
  const source = oneOf(required(v.source, 'source', 'poll, stream or file', C), 'source', SOURCES, C);
  const tableName = tableNameOf(required(v.table, 'table', 'the DynamoDB table to sync into', C), 'table', C);
  if (source === 'file' && !v.file) throw new UsageError("Option '--file' is required with --source file: the JSON file to sync", C);
  if (source !== 'file' && v.file !== undefined)
    throw new UsageError(`Option '--file' applies only to --source file, not --source ${source}`, C);
  if (source !== 'stream' && v.duration !== undefined)
    throw new UsageError(`Option '--duration' applies only to --source stream, not --source ${source}`, C);
  // --base-uri and --stream-uri are service endpoints, like the SDK's baseUri/streamUri: accepted with any
  // source, so a Relay Proxy user can set both once; each is used by the source that talks to it.
  const durationS = seconds(v.duration, 'duration', C);
  const progressS = seconds(v.progress, 'progress', C);
  const plan: SyncPlan = {
    source,
    tableName,
    prefix: v.prefix || undefined,
    file: v.file ? path.resolve(io.cwd ?? process.cwd(), v.file) : undefined,
    durationMs: durationS === undefined ? undefined : Math.round(durationS * 1000),
    endpoint: url(v['dynamodb-endpoint'], 'dynamodb-endpoint', C),
    region: v.region || undefined,
    createTable: v['create-table'] ?? false,
    baseUri: ldUri(v['base-uri'] ?? optionalEnv(io.env, 'LD_BASE_URI'), 'base-uri', C) ?? DEFAULT_BASE_URI,
    streamUri: ldUri(v['stream-uri'] ?? optionalEnv(io.env, 'LD_STREAM_URI'), 'stream-uri', C) ?? DEFAULT_STREAM_URI,
    progressMs: progressS === undefined ? undefined : Math.round(progressS * 1000),
    json: v.json ?? false,
    verbose: v.verbose ?? false,
  };
  if (source !== 'file')
    plan.sdkKey = requireEnv(io.env, 'LD_SDK_KEY', `for --source ${source}: the server-side SDK key of your LaunchDarkly environment`, C);
  return plan;
}

function describeSource(plan: SyncPlan): string {
  switch (plan.source) {
    case 'file':
      return `file ${plan.file}`;
    case 'poll':
      return `LaunchDarkly (poll ${plan.baseUri})`;
    case 'stream':
      return `LaunchDarkly (stream ${plan.streamUri})`;
  }
}

function describeTarget(plan: SyncPlan): string {
  return `DynamoDB table '${plan.tableName}'${plan.prefix ? ` prefix '${plan.prefix}'` : ''}${plan.endpoint ? ` at ${plan.endpoint}` : ''}`;
}

export async function syncCommand(argv: string[], io: CliIO): Promise<number> {
  const plan = planSync(argv, io);
  if (plan === 'help') {
    io.stdout.write(SYNC_HELP);
    return 0;
  }
  const config = dynamoClientConfig({ endpoint: plan.endpoint, region: plan.region }, io.env);
  const client = new DynamoDBClient(config);
  const logger = stderrLogger(io.stderr, plan.verbose);
  const ctx = { ...failureContext(plan.tableName, plan, config), errorsShown: logger.errorsShown };
  try {
    // A file that cannot be synced fails before anything is created (--create-table) or touched.
    if (plan.source === 'file') await readDataFile(plan.file!);
    const checked = await checkTable(client, ctx, { create: plan.createTable });
    if (checked === 'created') io.stderr.write(`Created DynamoDB table '${plan.tableName}'\n`);
    const store = new DynamoDBFlagStore({ tableName: plan.tableName, prefix: plan.prefix, client, logger });

    const started = Date.now();
    let latest: SyncProgress | undefined;
    const onProgress = (p: SyncProgress) => {
      latest = p;
    };
    const progress = startProgress(io.stderr, () => describeProgress(plan.source, latest, Date.now() - started), {
      intervalMs: plan.progressMs,
    });
    let report: SyncReport | StreamSyncReport;
    try {
      switch (plan.source) {
        case 'file':
          report = await runFileSync({ store, path: plan.file!, logger, onProgress });
          break;
        case 'poll':
          report = await runPollSync({
            store,
            poller: new PollingClient({ sdkKey: plan.sdkKey!, baseUri: plan.baseUri }),
            signal: io.signal,
            logger,
            onProgress,
          });
          break;
        case 'stream':
          report = await runStreamSync({
            store,
            streamer: new StreamingClient({ sdkKey: plan.sdkKey!, streamUri: plan.streamUri }),
            signal: io.signal,
            durationMs: plan.durationMs,
            logger,
            onProgress,
          });
          break;
      }
    } finally {
      progress.stop();
    }
    printReport(io.stdout, plan, report);
    return 0;
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(describeFailure(err, ctx), { cause: err });
  } finally {
    client.destroy();
  }
}

/** The progress line: for a stream the events applied so far, otherwise the phase. */
export function describeProgress(source: SyncPlan['source'], p: SyncProgress | undefined, elapsedMs: number): string {
  const elapsed = formatDuration(elapsedMs);
  const counts = p ? `${p.written} written, ${p.unchanged} unchanged, ${p.deleted} deleted` : '';
  if (source === 'stream') return `stream: ${p?.events ?? 0} event(s) applied (${counts || 'connecting'}), ${elapsed}`;
  const phase =
    p?.phase === 'writing'
      ? 'writing to DynamoDB'
      : p?.phase === 'done'
        ? 'done'
        : source === 'poll'
          ? 'fetching from LaunchDarkly'
          : 'reading the file';
  return `${source} sync: ${phase}, ${elapsed}`;
}

function printReport(out: Output, plan: SyncPlan, report: SyncReport | StreamSyncReport): void {
  if (plan.json) {
    out.write(`${JSON.stringify({ ...report, table: plan.tableName, prefix: plan.prefix ?? null })}\n`);
    return;
  }
  out.write(`Synced ${describeSource(plan)} into ${describeTarget(plan)}\n`);
  if (report.notModified) out.write('  LaunchDarkly answered 304 Not Modified: nothing to write\n');
  const rows: [string, string | number][] = [
    ['written', report.written],
    ['unchanged', report.unchanged],
    ['deleted', report.deleted],
  ];
  if (report.stale) rows.push(['stale', `${report.stale} (the table had newer versions; not overwritten)`]);
  rows.push(['duration', formatDuration(report.durationMs)]);
  if ('events' in report) {
    rows.push(['events', report.events], ['reconnects', report.reconnects]);
    if (report.endedBy) rows.push(['ended by', report.endedBy === 'signal' ? 'signal (writes in flight were flushed)' : report.endedBy]);
  }
  out.write(table(rows));
}
