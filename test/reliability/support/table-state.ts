// Reading what a table really holds (directly from DynamoDB Local, never through the fault proxy) and
// comparing it with the data set it must equal, or with an earlier state it must not fall behind.
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { initedKey, namespaceFor, rowJson, rowVersion, type StoredRow } from '../../../lib/store/layout.js';
import type { DataKindName, FullDataSet, VersionedItem } from '../../../lib/store/types.js';

export interface StoredItem {
  version: number;
  /** The stored JSON (inflated when compressed); undefined when the row has none. */
  json: string | undefined;
  deleted: boolean;
}

export type TableState = Record<DataKindName, Map<string, StoredItem>> & { inited: boolean };

/** Every row of one namespace, read consistently and directly (not through the store under test). */
export async function queryNamespace(
  client: DynamoDBClient,
  tableName: string,
  namespace: string,
): Promise<Record<string, AttributeValue>[]> {
  const rows: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#ns = :ns',
        ExpressionAttributeNames: { '#ns': 'namespace' },
        ExpressionAttributeValues: { ':ns': { S: namespace } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    rows.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return rows;
}

/** Every row of one prefix, as stored. */
export async function readTable(client: DynamoDBClient, tableName: string, prefix?: string): Promise<TableState> {
  const state = { features: new Map(), segments: new Map(), inited: false } as TableState;
  await Promise.all(
    (['features', 'segments'] as const).map(async (kind) => {
      for (const row of await queryNamespace(client, tableName, namespaceFor(prefix, kind))) {
        const json = rowJson(row as StoredRow);
        let deleted = json === undefined;
        if (json !== undefined) {
          try {
            deleted = (JSON.parse(json) as { deleted?: unknown }).deleted === true;
          } catch {
            deleted = true;
          }
        }
        state[kind].set(row.key!.S!, { version: rowVersion(row as StoredRow), json, deleted });
      }
    }),
  );
  state.inited = (await queryNamespace(client, tableName, initedKey(prefix))).length > 0;
  return state;
}

export interface Comparison {
  /** Items of the data set looked at. */
  checked: number;
  /** Data-set items absent from the table, deleted there, or at an older version. */
  missing: string[];
  /** Data-set items at the right version whose stored JSON differs. */
  different: string[];
  /** Live table items the data set does not have (a deletion not made, or undone). */
  extra: string[];
  /** Items the table holds at a newer version than the data set (fine after a race with a newer writer). */
  newer: string[];
}

const sourceOf = (data: FullDataSet, kind: DataKindName): Record<string, VersionedItem> =>
  kind === 'features' ? data.flags : data.segments;

/** Compares a table with the data set it should hold, item for item (version and exact JSON). */
export function compareWith(state: TableState, data: FullDataSet, options: { skip?: Set<string> } = {}): Comparison {
  const result: Comparison = { checked: 0, missing: [], different: [], extra: [], newer: [] };
  for (const kind of ['features', 'segments'] as const) {
    const source = sourceOf(data, kind);
    for (const [key, item] of Object.entries(source)) {
      const id = `${kind}/${key}`;
      if (options.skip?.has(id)) continue;
      result.checked++;
      const stored = state[kind].get(key);
      if (!stored || stored.version < item.version || (stored.deleted && stored.version === item.version && !item.deleted))
        result.missing.push(id);
      else if (stored.version > item.version) result.newer.push(id);
      else if (stored.json !== JSON.stringify(item)) result.different.push(id);
    }
    for (const [key, stored] of state[kind]) {
      const id = `${kind}/${key}`;
      if (!stored.deleted && !(key in source) && !options.skip?.has(id)) result.extra.push(id);
    }
  }
  return result;
}

/** Items whose version in `after` is lower than in `before`, or that were live in `before` and are now gone without a newer tombstone. */
export function rolledBack(before: TableState, after: TableState): string[] {
  const out: string[] = [];
  for (const kind of ['features', 'segments'] as const) {
    for (const [key, was] of before[kind]) {
      const now = after[kind].get(key);
      if (now && now.version < was.version) out.push(`${kind}/${key}`);
    }
  }
  return out;
}

export function itemCount(data: FullDataSet): number {
  return Object.keys(data.flags).length + Object.keys(data.segments).length;
}

/** A short description of a comparison's problems, for assertion messages. */
export function describeProblems(c: Comparison): string {
  const part = (label: string, list: string[]) =>
    list.length ? `${list.length} ${label} (${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''})` : '';
  return (
    [part('missing or behind', c.missing), part('with different JSON', c.different), part('extra', c.extra), part('newer', c.newer)]
      .filter(Boolean)
      .join('; ') || 'none'
  );
}
