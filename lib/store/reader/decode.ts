// Turning a stored row into an item the SDK's evaluator can use, or null. A bad row never fails a read: it is
// logged and treated as deleted, as LaunchDarkly's readers treat a row they cannot use. The evaluator needs
// items preprocessed (attribute references, large segment lists as sets); the SDK's own `reviveFullPayload`
// does that, exactly as for data it receives from LaunchDarkly.
import { reviveFullPayload, type LDFeatureStoreItem, type LDLogger } from '@launchdarkly/node-server-sdk';
import { rowJson, type StoredRow } from '../layout.js';
import type { DataKindName } from '../types.js';

export function decodeRow(kind: DataKindName, key: string, row: StoredRow, logger: LDLogger): LDFeatureStoreItem | null {
  const where = `ReadOnlyDynamoDBFeatureStore: ${kind} ${JSON.stringify(key)}`;
  let json: string | undefined;
  try {
    json = rowJson(row);
  } catch (err) {
    logger.warn(`${where} has an unreadable compressed item; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  if (json === undefined) return null;
  let item: unknown;
  try {
    item = JSON.parse(json);
  } catch (err) {
    logger.warn(`${where} holds invalid JSON; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  if (!item || typeof item !== 'object' || Array.isArray(item) || (item as LDFeatureStoreItem).deleted) return null;
  try {
    reviveFullPayload(kind === 'features' ? { flags: { [key]: item } } : { segments: { [key]: item } });
  } catch (err) {
    // An item whose rules or targets have the wrong shape: the evaluator could not use it either.
    logger.warn(`${where} is malformed; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  return item as LDFeatureStoreItem;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
