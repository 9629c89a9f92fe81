// The reader prepares items for the evaluator itself (lib/store/reader/prepare.ts) instead of through the
// SDK's reviveFullPayload, for speed: the objects it builds must be the ones the SDK builds, for generated
// environments and for the shapes generated data lacks (nulls, long target lists, bucketBy, missing fields).
import { reviveFullPayload } from '@launchdarkly/node-server-sdk';
import { describe, expect, it } from 'vitest';
import { prepareItem } from '../../lib/store/reader/prepare.js';
import { generateEnvironment } from '../support/generate-environment.js';

function both(kind: 'features' | 'segments', item: unknown) {
  const json = JSON.stringify(item);
  const ours = JSON.parse(json);
  prepareItem(kind, ours, json);
  const theirs = JSON.parse(json);
  reviveFullPayload(kind === 'features' ? { flags: { k: theirs } } : { segments: { k: theirs } });
  return { ours, theirs };
}

const many = (n: number) => Array.from({ length: n }, (_, i) => `u-${i}`);

describe('prepareItem', () => {
  it('builds what the SDK builds for every flag and segment of a generated environment', () => {
    const env = generateEnvironment({ flags: 500, seed: 21 });
    let sets = 0;
    for (const [kind, items] of [
      ['features', env.flags],
      ['segments', env.segments],
    ] as const) {
      for (const item of Object.values(items)) {
        const { ours, theirs } = both(kind, item);
        expect(ours).toEqual(theirs);
        if (ours.generated_includedSet || ours.generated_excludedSet) sets++;
      }
    }
    expect(sets).toBeGreaterThan(0); // long lists really were turned into sets
  });

  it('removes nulls as the SDK does (not inside variations, not array entries), and prepares the rarer shapes alike', () => {
    const flag = {
      key: 'f',
      version: 1,
      offVariation: null,
      variations: [null, { a: null }],
      fallthrough: { rollout: { bucketBy: 'org/id', contextKind: 'org', variations: [{ variation: 0, weight: 1, x: null }] } },
      rules: [
        {
          id: 'r',
          clauses: [{ attribute: 'email', op: 'in', values: [null, 'a'], negate: false, extra: null }],
          rollout: { bucketBy: 'key' },
        },
        { id: 'r2', clauses: [{ attribute: '', op: 'segmentMatch', values: ['s'] }, null] },
      ],
      nested: { deep: { deeper: null, list: [{ gone: null }] } },
    };
    const segment = {
      key: 's',
      version: 2,
      included: many(150),
      excluded: many(3),
      includedContexts: [
        { contextKind: 'org', values: many(101) },
        { contextKind: 'user', values: many(2) },
      ],
      excludedContexts: [{ contextKind: 'org', values: many(120) }],
      rules: [
        { id: 'sr', bucketBy: 'name', rolloutContextKind: 'user', weight: 5, clauses: [{ attribute: 'name', op: 'in', values: ['x'] }] },
      ],
      unbounded: null,
    };
    for (const [kind, item] of [
      ['features', flag],
      ['segments', segment],
    ] as const) {
      const { ours, theirs } = both(kind, item);
      expect(ours).toEqual(theirs); // toEqual takes an undefined property for an absent one, as the SDK does
    }
    expect(both('features', flag).ours.variations).toEqual([null, { a: null }]);
    // Cleared, not deleted (deleting makes the object slow to read): to the SDK, which tests for undefined, alike.
    const { ours } = both('features', flag);
    expect(ours.offVariation).toBeUndefined();
    expect(ours.nested.deep.deeper).toBeUndefined();
  });

  it('throws where the SDK throws: an item the evaluator could not use is treated as deleted', () => {
    for (const [kind, item] of [
      ['features', { key: 'f', rules: [null] }],
      ['features', { key: 'f', rules: 'not a list' }],
      ['segments', { key: 's', rules: [null] }],
      ['segments', { key: 's', includedContexts: 'abc' }],
    ] as const) {
      const json = JSON.stringify(item);
      expect(() =>
        reviveFullPayload(kind === 'features' ? { flags: { k: JSON.parse(json) } } : { segments: { k: JSON.parse(json) } }),
      ).toThrow();
      expect(() => prepareItem(kind, JSON.parse(json), json)).toThrow();
    }
  });
});
