// Preparing a parsed flag or segment for the SDK's evaluator, as the SDK prepares data it receives from
// LaunchDarkly (its `reviveFullPayload`): null properties cleared (outside a flag's variations), attribute
// references built for clauses and rollouts, and long segment target lists (over 100 entries) turned into sets.
// Why our own: the SDK's version finds nulls by pushing every property of every nested object on a stack
// (Object.entries at each level), which at 10,000 flags was the largest single cost of a cold allFlagsState
// after the SDK's own evaluation. Here nulls are searched for only when the item's JSON text holds one, and
// the tree is walked in place. And a null property is set to undefined where the SDK deletes it: every reader
// of these objects in the SDK tests `=== undefined` or `?.`, so the two are alike to it, but `delete` turns a
// parsed object into a slow dictionary for every later evaluation (−5% on a cold allFlagsState of 10,000
// flags, measured with DynamoDB's answers replayed). The result evaluates as the SDK's object does, which the
// reader's tests check by comparing every evaluation with an SDK fed the same data in memory.
import { AttributeReference } from '@launchdarkly/node-server-sdk';

/** The SDK turns a target list into a set beyond this many entries (its TARGET_LIST_ARRAY_CUTOFF). */
const SET_CUTOFF = 100;

type Obj = Record<string, unknown>;
interface Clause {
  attribute?: string;
  contextKind?: string;
  attributeReference?: AttributeReference;
}
interface Rollout {
  bucketBy?: string;
  contextKind?: string;
  bucketByAttributeReference?: AttributeReference;
}

/** Prepares `item` (parsed from `json`) in place; throws on a shape the evaluator could not use either. */
export function prepareItem(kind: 'features' | 'segments', item: Obj, json: string): void {
  const nulls = countNullProperties(json);
  // LaunchDarkly's flags usually hold nulls only at the top (`"debugEventsUntilDate":null`): when clearing
  // those accounts for every `":null` in the text, the rest of the tree needs no walk.
  if (nulls > 0 && dropTopLevelNulls(item, kind === 'features') < nulls) dropNulls(item, kind === 'features');
  if (kind === 'features') prepareFlag(item);
  else prepareSegment(item);
}

/** How many times `":null` occurs: at least the null-valued properties (a string may hold the text too). */
function countNullProperties(json: string): number {
  let count = 0;
  for (let at = json.indexOf('":null'); at !== -1; at = json.indexOf('":null', at + 6)) count++;
  return count;
}

function dropTopLevelNulls(item: Obj, skipVariations: boolean): number {
  let removed = 0;
  for (const key in item) {
    if (item[key] !== null || (skipVariations && key === 'variations')) continue;
    item[key] = undefined;
    removed++;
  }
  return removed;
}

/** Sets null-valued properties of objects to undefined (array entries stay), leaving a flag's variations untouched. */
function dropNulls(value: object, skipVariations: boolean): void {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') dropNulls(v, false);
    return;
  }
  const obj = value as Obj;
  // for…in allocates no key list; JSON.parse gives plain objects, so every key it visits is the object's own.
  for (const key in obj) {
    if (skipVariations && key === 'variations') continue;
    const v = obj[key];
    if (v === null) obj[key] = undefined;
    else if (typeof v === 'object') dropNulls(v as object, false);
  }
}

function clauseReferences(clauses: unknown): void {
  (clauses as (Clause | undefined)[] | undefined)?.forEach((clause) => {
    if (clause?.attribute) clause.attributeReference = new AttributeReference(clause.attribute, !clause.contextKind);
    else if (clause) clause.attributeReference = AttributeReference.InvalidReference;
  });
}

function rolloutReference(rollout: Rollout | undefined): void {
  if (rollout?.bucketBy) rollout.bucketByAttributeReference = new AttributeReference(rollout.bucketBy, !rollout.contextKind);
}

function prepareFlag(flag: Obj): void {
  rolloutReference((flag.fallthrough as { rollout?: Rollout } | undefined)?.rollout);
  (flag.rules as { rollout?: Rollout; clauses?: unknown }[] | undefined)?.forEach((rule) => {
    rolloutReference(rule.rollout);
    clauseReferences(rule.clauses);
  });
}

function prepareSegment(segment: Obj): void {
  for (const [list, set] of [
    ['included', 'generated_includedSet'],
    ['excluded', 'generated_excludedSet'],
  ] as const) {
    const values = segment[list] as unknown[] | undefined;
    if (values?.length && values.length > SET_CUTOFF) {
      segment[set] = new Set(values);
      delete segment[list];
    }
  }
  for (const list of ['includedContexts', 'excludedContexts'] as const) {
    const targets = segment[list] as { values?: unknown[]; generated_valuesSet?: Set<unknown> }[] | undefined;
    if (!targets?.length) continue;
    targets.forEach((target) => {
      if (target?.values?.length && target.values.length > SET_CUTOFF) {
        target.generated_valuesSet = new Set(target.values);
        target.values = [];
      }
    });
  }
  (
    segment.rules as
      | { bucketBy?: string; rolloutContextKind?: string; bucketByAttributeReference?: AttributeReference; clauses?: unknown }[]
      | undefined
  )?.forEach((rule) => {
    if (rule.bucketBy) rule.bucketByAttributeReference = new AttributeReference(rule.bucketBy, !rule.rolloutContextKind);
    clauseReferences(rule.clauses);
  });
}
