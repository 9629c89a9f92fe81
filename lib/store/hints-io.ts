// Reading and rewriting the read hints row (read-hints.ts) for the writer. The row only spares readers round
// trips, so failures are logged, never thrown: an init does not fail for want of hints.
import { createHash } from 'node:crypto';
import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  PAGE_BYTES,
  computeReadHints,
  decodeReadHints,
  encodeReadHints,
  readHintsKey,
  type HintSource,
  type ReadHints,
} from './read-hints.js';
import type { StoreContext } from './table-client.js';
import type { DataKindName } from './types.js';

/** What the stored read hints were planned from. */
export interface HintState {
  refsDigest?: string;
  features?: number;
  segments?: number;
  ranges?: ReadHints['ranges'];
  bytes?: ReadHints['bytes'];
}

function keyOf(prefix: string | undefined): Record<string, AttributeValue> {
  const id = readHintsKey(prefix);
  return { namespace: { S: id }, key: { S: id } };
}

/** The stored hints' state; undefined when there are none (or they cannot be read). */
export async function readHintState(ctx: StoreContext): Promise<HintState | undefined> {
  try {
    const out = await ctx.table.send<{ Item?: Record<string, AttributeValue> }>(
      'GetItem',
      new GetItemCommand({ TableName: ctx.table.tableName, Key: keyOf(ctx.prefix), ReturnConsumedCapacity: 'TOTAL' }),
    );
    if (!out.Item) return undefined;
    const stored = decodeReadHints(out.Item.hints?.B);
    return {
      refsDigest: out.Item.refsDigest?.S,
      features: Number(out.Item.featureCount?.N),
      segments: Number(out.Item.segmentCount?.N),
      ranges: stored?.ranges,
      bytes: stored?.bytes,
    };
  } catch (err) {
    ctx.logger.warn(`Could not read the read hints of ${ctx.label}; they will be rewritten (${(err as Error).message})`);
    return undefined;
  }
}

/**
 * Rewrites the read hints row when the references between items changed, a namespace grew or shrank by more
 * than a tenth, or one now fits a Query page that did not (or the reverse; hints written before sizes were
 * recorded count as changed), so a re-sync that changed nothing (or only flag contents) does not write it.
 */
export async function updateReadHints(
  ctx: StoreContext,
  sources: Record<DataKindName, HintSource[]>,
  previous: HintState | undefined,
): Promise<boolean> {
  const hints = computeReadHints(sources);
  const refsDigest = createHash('sha256').update(JSON.stringify(hints.refs)).digest('base64url');
  const close = (before: number | undefined, now: number) => before !== undefined && Math.abs(before - now) <= Math.max(50, before / 10);
  if (
    previous &&
    previous.refsDigest === refsDigest &&
    close(previous.features, sources.features.length) &&
    close(previous.segments, sources.segments.length) &&
    samePageFit(previous.bytes, hints.bytes)
  )
    return false;
  const { bytes, refsDropped } = encodeReadHints(hints);
  if (refsDropped) ctx.logger.warn(`Read hints of ${ctx.label} would exceed the item limit with references; storing key ranges only`);
  try {
    await ctx.table.send(
      'PutItem',
      new PutItemCommand({
        TableName: ctx.table.tableName,
        Item: {
          ...keyOf(ctx.prefix),
          hints: { B: bytes },
          refsDigest: { S: refsDigest },
          featureCount: { N: String(sources.features.length) },
          segmentCount: { N: String(sources.segments.length) },
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
      Math.max(1, Math.ceil(bytes.byteLength / 1024)),
    );
    return true;
  } catch (err) {
    ctx.logger.warn(`Could not write the read hints of ${ctx.label}; readers plan their reads without them (${(err as Error).message})`);
    return false;
  }
}

/** Whether each namespace is on the same side of one Query page as before (unknown before: no). */
function samePageFit(before: ReadHints['bytes'], now: ReadHints['bytes']): boolean {
  if (!before || !now) return false;
  return (['features', 'segments'] as const).every((kind) => before[kind] <= PAGE_BYTES === now[kind] <= PAGE_BYTES);
}
