import { describe, expect, it } from 'vitest';
import {
  MAX_HINT_BYTES,
  PAGE_BYTES,
  fitsOnePage,
  MAX_HINT_INFLATED_BYTES,
  RANGE_TARGET_BYTES,
  compareKeys,
  computeReadHints,
  decodeReadHints,
  encodeReadHints,
  type HintSource,
} from '../../lib/store/read-hints.js';
import { gzipSync } from 'node:zlib';

const flag = (key: string, extra: object = {}, bytes = 1_000): HintSource => ({ key, bytes, item: { key, version: 1, ...extra } });
const segmentRule = (...segments: string[]) => ({ rules: [{ clauses: [{ op: 'segmentMatch', values: segments }] }] });

describe('read hints', () => {
  it('cuts a namespace into ranges of at most the target size, split at keys in DynamoDB order', () => {
    // UTF-8 order puts 'é' (0xC3 0xA9) after every ASCII letter, and '𝒳' (F0 ..) after 'ﬀ' (EF ..), unlike UTF-16.
    const keys = Array.from({ length: 3_000 }, (_, i) => `flag-${String(i).padStart(4, '0')}`).concat(['é-flag', 'ﬀ-flag', '𝒳-flag']);
    const hints = computeReadHints({ features: keys.map((k) => flag(k, {}, 1_000)), segments: [] });
    const splits = hints.ranges.features;
    expect(splits.length).toBe(Math.ceil((keys.length * 1_000) / RANGE_TARGET_BYTES) - 1);
    for (let i = 1; i < splits.length; i++) expect(compareKeys(splits[i - 1]!, splits[i]!)).toBeLessThan(0);
    // Each range holds at most the target: count keys between consecutive split points.
    const sorted = [...keys].sort(compareKeys);
    const bounds = [0, ...splits.map((s) => sorted.indexOf(s)), sorted.length];
    for (let i = 1; i < bounds.length; i++) expect((bounds[i]! - bounds[i - 1]!) * 1_000).toBeLessThanOrEqual(RANGE_TARGET_BYTES);
    expect(compareKeys('ﬀ-flag', '𝒳-flag')).toBeLessThan(0);
    expect('ﬀ-flag' < '𝒳-flag').toBe(false); // the order JavaScript would have used
  });

  it('plans no ranges for a namespace that fits one query page, and records each namespace’s stored size', () => {
    const hints = computeReadHints({ features: [flag('a'), flag('b', {}, 2_500)], segments: [] });
    expect(hints.ranges).toEqual({ features: [], segments: [] });
    expect(hints.bytes).toEqual({ features: 3_500, segments: 0 });
  });

  it('keeps the references one level down: of prerequisites and segments that themselves refer to others', () => {
    const hints = computeReadHints({
      features: [
        flag('top', { prerequisites: [{ key: 'middle', variation: 0 }] }),
        flag('middle', { prerequisites: [{ key: 'bottom', variation: 0 }], ...segmentRule('outer') }),
        flag('bottom'),
        flag('unreferenced', segmentRule('outer')),
      ],
      segments: [
        { key: 'outer', bytes: 100, item: { key: 'outer', version: 1, ...segmentRule('inner', 'inner') } },
        { key: 'inner', bytes: 100, item: { key: 'inner', version: 1 } },
      ],
    });
    // 'top' and 'unreferenced' are read before anything points at them, so their own references need no hint.
    expect(hints.refs).toEqual({ 'f:middle': ['f:bottom', 's:outer'], 's:outer': ['s:inner'] });
  });

  it('round-trips through its stored form, and drops references rather than exceed the item limit', () => {
    const hints = computeReadHints({ features: [flag('a', { prerequisites: [{ key: 'b' }] }), flag('b', segmentRule('s'))], segments: [] });
    const { bytes, refsDropped } = encodeReadHints(hints);
    expect(refsDropped).toBe(false);
    expect(decodeReadHints(bytes)).toEqual(hints);

    // References that do not compress: random keys.
    const refs: Record<string, string[]> = {};
    for (let i = 0; i < 60_000; i++) refs[`f:${Math.random().toString(36)}`] = [`s:${Math.random().toString(36)}`];
    const big = encodeReadHints({ ...hints, refs });
    expect(big.refsDropped).toBe(true);
    expect(big.bytes.byteLength).toBeLessThanOrEqual(MAX_HINT_BYTES);
    expect(decodeReadHints(big.bytes)).toEqual({ ...hints, refs: {} });
  });

  it('ignores hints it cannot use: another format, damaged bytes, split points out of order', () => {
    expect(decodeReadHints(undefined)).toBeUndefined();
    expect(decodeReadHints(Buffer.from('not gzip'))).toBeUndefined();
    expect(decodeReadHints(gzipSync(JSON.stringify({ format: 2, ranges: {}, refs: {} })))).toBeUndefined();
    const unordered = decodeReadHints(
      gzipSync(JSON.stringify({ format: 1, ranges: { features: ['m', 'c'], segments: ['a', 7] }, refs: { 'f:x': ['s:y', 3] } })),
    );
    expect(unordered).toEqual({ format: 1, ranges: { features: [], segments: [] }, refs: { 'f:x': ['s:y'] } });
    // Sizes that are not two non-negative numbers are left out; the rest of the hint is still used.
    for (const bytes of [{ features: -1, segments: 0 }, { features: '5' }, 'big', null])
      expect(decodeReadHints(gzipSync(JSON.stringify({ format: 1, ranges: {}, refs: {}, bytes })))).not.toHaveProperty('bytes');
  });
});

describe('decodeReadHints against a hint that inflates without limit', () => {
  it('ignores a hint inflating past MAX_HINT_INFLATED_BYTES instead of inflating it whole', () => {
    const bomb = gzipSync(`{"format":1,"ranges":{"features":[],"segments":[]},"refs":{},"pad":"${' '.repeat(MAX_HINT_INFLATED_BYTES)}"}`);
    expect(bomb.byteLength).toBeLessThan(MAX_HINT_BYTES);
    expect(decodeReadHints(bomb)).toBeUndefined();
  });
});

describe('fitsOnePage', () => {
  const hints = (features: string[], bytes?: number) => ({
    format: 1,
    ranges: { features, segments: [] },
    refs: {},
    ...(bytes === undefined ? {} : { bytes: { features: bytes, segments: 0 } }),
  });
  it('decides from the recorded size when the hints carry it, else from the ranges, and says when it cannot tell', () => {
    expect(fitsOnePage(hints(['m'], 900_000), 'features')).toBe(true);
    expect(fitsOnePage(hints([], PAGE_BYTES + 1), 'features')).toBe(false);
    expect(fitsOnePage(hints([]), 'features')).toBe(true);
    expect(fitsOnePage(hints(['m']), 'features')).toBeUndefined();
    expect(fitsOnePage(hints(['g', 'p']), 'features')).toBe(false);
    expect(fitsOnePage(hints(['g', 'p']), 'segments')).toBe(true);
  });
});
