// Turning a stored row into an item the SDK's evaluator can use, or null. A bad row never fails a read: it is
// logged and treated as deleted, as LaunchDarkly's readers treat a row they cannot use. The evaluator needs
// items preprocessed (attribute references, large segment lists as sets), as the SDK prepares data it
// receives from LaunchDarkly: prepare.ts does the same, faster.
import type { LDFeatureStoreItem, LDLogger } from '@launchdarkly/node-server-sdk';
import { rowJson, type StoredRow } from '../layout.js';
import type { DataKindName } from '../types.js';
import { prepareItem } from './prepare.js';

export function decodeRow(kind: DataKindName, key: string, row: StoredRow, logger: LDLogger): LDFeatureStoreItem | null {
  // Built only for a message: decoding 10,000 rows should not format 10,000 strings.
  const where = () => `ReadOnlyDynamoDBFeatureStore: ${kind} ${JSON.stringify(key)}`;
  let json: string | undefined;
  try {
    json = rowJson(row);
  } catch (err) {
    logger.warn(`${where()} has an unreadable compressed item; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  if (json === undefined) return null;
  let item: unknown;
  try {
    item = JSON.parse(json);
  } catch (err) {
    logger.warn(`${where()} holds invalid JSON; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  if (!item || typeof item !== 'object' || Array.isArray(item) || (item as LDFeatureStoreItem).deleted) return null;
  try {
    prepareItem(kind, item as Record<string, unknown>, json);
  } catch (err) {
    // An item whose rules or targets have the wrong shape: the evaluator could not use it either.
    logger.warn(`${where()} is malformed; treating it as deleted: ${errorText(err)}`);
    return null;
  }
  return item as LDFeatureStoreItem;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
