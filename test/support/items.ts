// Minimal valid flags and segments for store tests: the fields the writer's checks and LaunchDarkly's SDK
// need, and nothing a test does not set itself through `extra`. One builder, so a change to what a valid
// item needs is made once.
import type { Flag, FullDataSet, Segment } from '../../lib/store/types.js';

export const testFlag = (key: string, version: number, extra: Partial<Flag> = {}): Flag => ({
  key,
  version,
  on: true,
  variations: [true, false],
  fallthrough: { variation: 0 },
  offVariation: 1,
  salt: 's',
  ...extra,
});

export const testSegment = (key: string, version: number, extra: Partial<Segment> = {}): Segment => ({
  key,
  version,
  included: [],
  excluded: [],
  rules: [],
  salt: 's',
  ...extra,
});

/** A data set of these items, keyed by their keys. */
export const dataSetOf = (flags: Flag[], segments: Segment[] = []): FullDataSet => ({
  flags: Object.fromEntries(flags.map((f) => [f.key, f])),
  segments: Object.fromEntries(segments.map((s) => [s.key, s])),
});
