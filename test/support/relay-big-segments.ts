// Writes Big Segments rows the way LaunchDarkly's Relay Proxy does (ld-relay internal/bigsegments/
// store_dynamodb.go), so tests read what production tables hold rather than rows shaped by our own reader:
// - each patch is TransactWriteItems of at most 25 actions: a ConditionCheck that the metadata row's cursor
//   (`lastVersion`, S) is the patch's previous version, then one UpdateItem per context: `ADD` or `DELETE` of
//   the segment reference to or from the string set `included` or `excluded` of the row
//   `[<prefix>:]big_segments_user` / <hashed context key> (DynamoDB drops a set emptied by DELETE);
// - then an UpdateItem sets the cursor, under the same condition;
// - after a sync, an UpdateItem sets `synchronizedOn` (N, Unix ms) on the metadata row.
// LaunchDarkly's service sends context keys already hashed (base64 SHA-256); hashContextKey stands in for it.
import { createHash } from 'node:crypto';
import { TransactWriteItemsCommand, UpdateItemCommand, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';

export interface RelayPatch {
  /** The segment reference, `<segmentKey>.g<generation>`. */
  segmentId: string;
  version: string;
  previousVersion: string;
  /** Context keys (unhashed; hashed here as LaunchDarkly's service does). */
  included?: { add?: string[]; remove?: string[] };
  excluded?: { add?: string[]; remove?: string[] };
}

export function hashContextKey(key: string): string {
  return createHash('sha256').update(key).digest('base64');
}

const prefixed = (prefix: string | undefined, name: string) => (prefix ? `${prefix}:${name}` : name);
const TX_MAX_ITEMS = 25;

function cursorCondition(previousVersion: string) {
  return {
    ConditionExpression: previousVersion === '' ? 'attribute_not_exists(#0) or #0 = :0' : '#0 = :0',
    ExpressionAttributeNames: { '#0': 'lastVersion' },
    ExpressionAttributeValues: { ':0': { S: previousVersion } },
  };
}

/** Applies one patch as Relay does; false when the cursor did not match (an out-of-order patch). */
export async function applyRelayPatch(
  client: DynamoDBClient,
  table: string,
  prefix: string | undefined,
  patch: RelayPatch,
): Promise<boolean> {
  const metadataKey = prefixed(prefix, 'big_segments_metadata');
  const metaKey = { namespace: { S: metadataKey }, key: { S: metadataKey } };
  const check: TransactWriteItem = { ConditionCheck: { TableName: table, Key: metaKey, ...cursorCondition(patch.previousVersion) } };
  const update = (expression: string, attribute: string, contextKey: string): TransactWriteItem => ({
    Update: {
      TableName: table,
      UpdateExpression: expression,
      ExpressionAttributeNames: { '#0': attribute },
      ExpressionAttributeValues: { ':0': { SS: [patch.segmentId] } },
      Key: { namespace: { S: prefixed(prefix, 'big_segments_user') }, key: { S: hashContextKey(contextKey) } },
    },
  });
  const actions = [
    ...(patch.included?.add ?? []).map((k) => update('ADD #0 :0', 'included', k)),
    ...(patch.excluded?.add ?? []).map((k) => update('ADD #0 :0', 'excluded', k)),
    ...(patch.included?.remove ?? []).map((k) => update('DELETE #0 :0', 'included', k)),
    ...(patch.excluded?.remove ?? []).map((k) => update('DELETE #0 :0', 'excluded', k)),
  ];
  for (let i = 0; i < actions.length; i += TX_MAX_ITEMS - 1) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: [check, ...actions.slice(i, i + TX_MAX_ITEMS - 1)] }));
    } catch (err) {
      const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
      throw err;
    }
  }
  const { ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues } = cursorCondition(patch.previousVersion);
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: metaKey,
      ConditionExpression,
      ExpressionAttributeNames,
      ExpressionAttributeValues: { ...ExpressionAttributeValues, ':1': { S: patch.version } },
      UpdateExpression: 'SET #0 = :1',
    }),
  );
  return true;
}

/** Marks the data as up to date at `when` (Unix ms), as Relay does after each sync. */
export async function setSynchronizedOn(client: DynamoDBClient, table: string, prefix: string | undefined, when: number): Promise<void> {
  const metadataKey = prefixed(prefix, 'big_segments_metadata');
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { namespace: { S: metadataKey }, key: { S: metadataKey } },
      UpdateExpression: 'SET #0 = :0',
      ExpressionAttributeNames: { '#0': 'synchronizedOn' },
      ExpressionAttributeValues: { ':0': { N: String(when) } },
    }),
  );
}
