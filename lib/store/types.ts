// The store's view of the data model (lib/model/types.ts, its one home, re-exported here so the package's
// public types keep their names and place) and the logger type it takes.
export { DATA_KINDS } from '../model/types.js';
export type { DataKindName, Flag, FullDataSet, Segment, VersionedItem } from '../model/types.js';

export type { Logger } from '../util/logger.js';
export { silentLogger } from '../util/logger.js';
/** @deprecated The same type as `Logger` (its one home is lib/util/logger.ts); kept because the package root exports it. */
export type StoreLogger = import('../util/logger.js').Logger;
