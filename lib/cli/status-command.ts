// `ld-dynamodb-sync status`: what a table holds for one environment (prefix): whether an init completed,
// how many flags and segments (and tombstones), and when and from which source the last sync ran.
import { DynamoDBFlagStore } from '../store/index.js';
import { parse, required, tableName as tableNameOf, url } from './args.js';
import { checkTable, dynamoClientConfig, DynamoDBClient, failureContext } from './dynamodb.js';
import { CliError, describeFailure } from './errors.js';
import { STATUS_HELP } from './help.js';
import { formatAge, stderrLogger, table, type CliIO } from './output.js';

const OPTIONS = {
  table: { type: 'string' },
  prefix: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Values {
  table?: string;
  prefix?: string;
  'dynamodb-endpoint'?: string;
  region?: string;
  json?: boolean;
  help?: boolean;
}

export interface TableStatus {
  table: string;
  prefix: string | null;
  initialized: boolean;
  flags: number;
  segments: number;
  deletedFlags: number;
  deletedSegments: number;
  lastSync: { syncedAt: string; source: string; summary?: Record<string, unknown> } | null;
}

export async function statusCommand(argv: string[], io: CliIO): Promise<number> {
  const C = 'status';
  const { values: v } = parse<Values>(argv, OPTIONS, C);
  if (v.help) {
    io.stdout.write(STATUS_HELP);
    return 0;
  }
  const tableName = tableNameOf(required(v.table, 'table', 'the DynamoDB table to inspect', C), 'table', C);
  const prefix = v.prefix || undefined;
  const endpoint = url(v['dynamodb-endpoint'], 'dynamodb-endpoint', C);
  const config = dynamoClientConfig({ endpoint, region: v.region }, io.env);
  const client = new DynamoDBClient(config);
  const ctx = {
    ...failureContext(tableName, { endpoint, region: v.region }, config),
    missingTableHint: 'check the name and region, or create it with `ld-dynamodb-sync sync … --create-table`',
  };
  try {
    await checkTable(client, ctx);
    // Consistent reads: status is what someone checks right after a sync.
    const store = new DynamoDBFlagStore({ tableName, prefix, client, consistentReads: true, logger: stderrLogger(io.stderr, false) });
    const [initialized, flags, segments, last] = await Promise.all([
      store.initialized(),
      store.allIncludingDeleted('features'),
      store.allIncludingDeleted('segments'),
      store.syncStatus(),
    ]);
    const live = (items: Record<string, { deleted?: boolean }>) => Object.values(items).filter((i) => !i.deleted).length;
    const status: TableStatus = {
      table: tableName,
      prefix: prefix ?? null,
      initialized,
      flags: live(flags),
      segments: live(segments),
      deletedFlags: Object.keys(flags).length - live(flags),
      deletedSegments: Object.keys(segments).length - live(segments),
      lastSync: last ? { syncedAt: last.syncedAt.toISOString(), source: last.source, summary: last.summary } : null,
    };
    if (v.json) {
      io.stdout.write(`${JSON.stringify(status)}\n`);
      return 0;
    }
    const tomb = (n: number) => (n ? ` (+${n} deleted, kept as tombstones)` : '');
    const rows: [string, string | number][] = [
      ['initialized', initialized ? 'yes' : 'no (no writer has completed a full sync for this prefix)'],
      ['flags', `${status.flags}${tomb(status.deletedFlags)}`],
      ['segments', `${status.segments}${tomb(status.deletedSegments)}`],
      ['last sync', last ? `${status.lastSync!.syncedAt} (${formatAge(last.syncedAt)}) from ${last.source}` : 'never recorded'],
    ];
    const s = last?.summary;
    if (s && typeof s === 'object' && 'written' in s) {
      rows.push(['last result', `${s.written} written, ${s.unchanged ?? 0} unchanged, ${s.deleted ?? 0} deleted`]);
    }
    io.stdout.write(`DynamoDB table '${tableName}'${prefix ? ` prefix '${prefix}'` : ''}${endpoint ? ` at ${endpoint}` : ''}\n`);
    io.stdout.write(table(rows));
    return 0;
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(describeFailure(err, ctx), { cause: err });
  } finally {
    client.destroy();
  }
}
