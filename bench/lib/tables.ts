// Table helpers for the benchmarks: fresh tables, and a comparison of two tables' contents, which is how the
// benchmark checks that our store and LaunchDarkly's wrote the same thing from the same data.
import { isDeepStrictEqual } from 'node:util';
import { DeleteTableCommand, type DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createFlagTable } from '../../lib/store/table.js';

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function clientConfig(endpoint: string) {
  return { endpoint, region: 'us-east-1', credentials: localCredentials };
}

let counter = 0;

/** Creates a table with LaunchDarkly's key schema under a unique name. */
export async function newTable(admin: DynamoDBClient, hint: string): Promise<string> {
  const name = `bench-${hint}-${process.pid}-${++counter}`;
  await createFlagTable(admin, name);
  return name;
}

export async function dropTable(admin: DynamoDBClient, name: string): Promise<void> {
  await admin.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
}

export interface StoredItem {
  version: number | undefined;
  /** The item attribute (JSON text); undefined for the $inited marker. */
  item: string | undefined;
}

/** Rows of our own outside LaunchDarkly's layout (read hints, sync status), which LaunchDarkly's readers never see. */
const OWN_ROWS = /(^|:)\$(readHints|syncStatus)$/;

/** Every row of LaunchDarkly's layout in a table (flags, segments, the marker), by "namespace/key". */
export async function readTable(admin: DynamoDBClient, name: string): Promise<Map<string, StoredItem>> {
  const rows = new Map<string, StoredItem>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await admin.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
    for (const row of out.Items ?? []) {
      if (OWN_ROWS.test(row.namespace?.S ?? '')) continue;
      rows.set(`${row.namespace?.S}/${row.key?.S}`, {
        version: row.version?.N === undefined ? undefined : Number(row.version.N),
        item: row.item?.S,
      });
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return rows;
}

/** Differences between two tables' rows (at most `limit` described), empty when they hold the same items. */
export function compareTables(a: Map<string, StoredItem>, b: Map<string, StoredItem>, limit = 5): string[] {
  const problems: string[] = [];
  for (const [id, left] of a) {
    const right = b.get(id);
    if (!right) problems.push(`${id} only in the first table`);
    else if (left.version !== right.version) problems.push(`${id}: version ${left.version} vs ${right.version}`);
    else if (left.item !== right.item && !(left.item && right.item && isDeepStrictEqual(JSON.parse(left.item), JSON.parse(right.item)))) {
      problems.push(`${id}: items differ`);
    }
  }
  for (const id of b.keys()) if (!a.has(id)) problems.push(`${id} only in the second table`);
  return problems.length > limit ? [...problems.slice(0, limit), `and ${problems.length - limit} more`] : problems;
}
