// Which items to fetch ahead when a flag or segment is read: its own prerequisites and segments, and (from the
// writer's read hints) what those refer to in turn, so a flag's whole dependency tree travels in one batch
// instead of one batch per level. Pure: the store decides which of them still need a request.
import type { LDFeatureStoreItem } from '@launchdarkly/node-server-sdk';
import { prerequisiteKeys, segmentKeys } from '../layout.js';
import { parseRefId, refId, type ReadHints } from '../read-hints.js';
import type { DataKindName } from '../types.js';

/** At most this many dependencies are fetched ahead for one item (a guard against a pathological hint). */
const MAX_PREFETCH = 500;

/** The dependency tree of an item (without the item), as [kind, key] pairs, breadth first. */
export function dependenciesOf(
  kind: DataKindName,
  item: LDFeatureStoreItem | undefined,
  key: string,
  hints: ReadHints | null | undefined,
): [DataKindName, string][] {
  const wanted = new Map<string, [DataKindName, string]>();
  const next: string[] = [];
  const self = refId(kind, key);
  const want = (id: string) => {
    const parsed = parseRefId(id);
    if (!parsed || id === self || wanted.has(id) || wanted.size >= MAX_PREFETCH) return;
    wanted.set(id, parsed);
    next.push(id);
  };
  if (item) {
    if (kind === 'features') for (const k of prerequisiteKeys(item)) want(refId('features', k));
    for (const k of segmentKeys(item)) want(refId('segments', k));
  }
  const refs = hints?.refs;
  if (refs) {
    const refsOf = (id: string) => (Object.hasOwn(refs, id) && Array.isArray(refs[id]) ? refs[id] : []);
    for (const id of refsOf(self)) want(id);
    while (next.length > 0) for (const id of refsOf(next.shift()!)) want(id);
  }
  return [...wanted.values()];
}
