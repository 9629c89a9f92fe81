// Errors the store raises. Each has a stable `name` callers can switch on, and keeps the underlying AWS
// error as `cause`. Messages name the kind, key and value that were wrong; they never carry item contents.
import { errorText } from '../util/error-text.js';
import type { DataKindName } from './types.js';
// Type only (erased at run time), so the reader, which re-exports these errors, still loads nothing of the writer.
import type { InitSummary } from './writer.js';

export class StoreError extends Error {
  override name = 'StoreError';
}

/** Invalid options given to one of the SDK-facing stores (see options.ts); thrown when the store is configured. */
export class StoreOptionsError extends StoreError {
  override name = 'StoreOptionsError';
}

/** An item that cannot be stored as given: no key, a version that is not a non-negative integer, an unknown kind. */
export class ItemValidationError extends StoreError {
  override name = 'ItemValidationError';
  constructor(
    readonly kind: string,
    readonly key: string | undefined,
    readonly reason: string,
  ) {
    super(`Invalid ${describeKind(kind)} ${key === undefined ? '(no key)' : JSON.stringify(key)}: ${reason}`);
  }
}

/** An item whose JSON does not fit in a DynamoDB item even compressed. Other items are still written. */
export class ItemTooLargeError extends StoreError {
  override name = 'ItemTooLargeError';
  constructor(
    readonly kind: DataKindName,
    readonly key: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `${describeKind(kind)} ${JSON.stringify(key)} is ${bytes} bytes even gzip-compressed; a DynamoDB ` +
        `item holds at most ${limit} bytes, so it was not stored`,
    );
  }
}

/** A stored compressed item that inflates past the limit when read: treated as unreadable, never inflated whole. */
export class StoredItemTooLargeError extends StoreError {
  override name = 'StoredItemTooLargeError';
  constructor(
    readonly key: string | undefined,
    readonly compressedBytes: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(
      `stored item ${key === undefined ? '(no key)' : JSON.stringify(key)} (${compressedBytes} bytes ` +
        `gzip-compressed) inflates past the limit of ${limit} bytes; it was not read`,
      options,
    );
  }
}

export interface UnwrittenItem {
  kind: DataKindName | '$inited' | '$syncStatus';
  key: string;
}

/** Writes that still failed after the retry bound. Nothing is silently dropped: the keys are listed. */
export class WriteFailedError extends StoreError {
  override name = 'WriteFailedError';
  constructor(
    readonly unwritten: UnwrittenItem[],
    cause: unknown,
  ) {
    const shown = unwritten
      .slice(0, 10)
      .map((u) => `${u.kind}/${u.key}`)
      .join(', ');
    const more = unwritten.length > 10 ? ` and ${unwritten.length - 10} more` : '';
    super(`${unwritten.length} item(s) could not be written to DynamoDB after retries: ${shown}${more} (${errorText(cause)})`, { cause });
  }
}

/** An init that wrote every good item but had to reject some; `problems` names each rejected item. */
export class PartialInitError extends StoreError {
  override name = 'PartialInitError';
  constructor(
    /** What the init did, the rejected items counted in `rejected`. */
    readonly summary: InitSummary,
    readonly problems: (ItemValidationError | ItemTooLargeError)[],
  ) {
    const shown = problems
      .slice(0, 5)
      .map((p) => p.message)
      .join('; ');
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    super(`Init stored every valid item but rejected ${problems.length}: ${shown}${more}`);
  }
}

function describeKind(kind: string): string {
  if (kind === 'features') return 'flag';
  if (kind === 'segments') return 'segment';
  return `item of unknown kind ${JSON.stringify(kind)}`;
}
