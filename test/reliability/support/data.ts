// Data sets for the reliability suite: the generated environment and "the next version" of it, as
// LaunchDarkly would serve it a while later (flags changed, created and deleted, segments changed).
import type { Flag, FullDataSet, Segment } from '../../../lib/store/types.js';
import { seededRandom } from '../../support/generate-environment.js';

export interface EvolveOptions {
  /** Share of flags whose version goes up and whose fallthrough changes. */
  changed?: number;
  /** Share of flags deleted (only flags no remaining flag names as a prerequisite). */
  removed?: number;
  /** Flags created, as a share of the flag count. */
  added?: number;
  /** Share of segments whose version goes up and whose included list changes. */
  changedSegments?: number;
  /** Version increment of changed items. Default 1. */
  bump?: number;
  seed?: number;
  /** Key prefix of created flags; default "created-<seed>". */
  createdPrefix?: string;
}

/** Flags some other flag names as a prerequisite. */
export function prerequisiteTargets(flags: Record<string, Flag>): Set<string> {
  const targets = new Set<string>();
  for (const f of Object.values(flags)) for (const p of f.prerequisites ?? []) targets.add(p.key);
  return targets;
}

/** A later version of `env`: the returned data set shares unchanged items with `env` (treat both as immutable). */
export function evolve(env: FullDataSet, options: EvolveOptions = {}): FullDataSet {
  const { changed = 0.2, removed = 0.03, added = 0.03, changedSegments = 0.2, bump = 1, seed = 1 } = options;
  const random = seededRandom(seed);
  const flags: Record<string, Flag> = {};
  const keys = Object.keys(env.flags);
  const needed = prerequisiteTargets(env.flags);
  for (const key of keys) {
    const old = env.flags[key]!;
    if (!needed.has(key) && random() < removed) continue;
    if (random() < changed) {
      const n = Math.max(1, (old.variations as unknown[] | undefined)?.length ?? 1);
      const current = (old.fallthrough as { variation?: number } | undefined)?.variation ?? -1;
      flags[key] = { ...old, version: old.version + bump, fallthrough: { variation: (current + 1) % n } };
    } else flags[key] = old;
  }
  const prefix = options.createdPrefix ?? `created-${seed}`;
  const existing = Object.keys(flags);
  for (let i = 0; i < Math.round(keys.length * added); i++) {
    const flag: Flag = {
      key: `${prefix}-${i}`,
      version: 1,
      on: true,
      prerequisites:
        existing.length > 0 && random() < 0.3 ? [{ key: existing[Math.floor(random() * existing.length)]!, variation: 0 }] : [],
      targets: [{ values: [`user-${i}`], variation: 0 }],
      contextTargets: [],
      rules: [],
      fallthrough: { variation: 1 },
      offVariation: 1,
      variations: [true, false],
      salt: `salt-${prefix}-${i}`,
      trackEvents: false,
      trackEventsFallthrough: false,
      debugEventsUntilDate: null,
      clientSide: false,
      deleted: false,
    };
    flags[flag.key] = flag;
  }
  const segments: Record<string, Segment> = {};
  for (const [key, old] of Object.entries(env.segments)) {
    if (random() < changedSegments) {
      const included = [...((old.included as string[] | undefined) ?? []), `user-evolved-${seed}`];
      segments[key] = { ...old, version: old.version + bump, included };
    } else segments[key] = old;
  }
  return { flags, segments };
}

/** The same content with every version raised by `by` (a later snapshot that happens to equal an older one). */
export function reversioned(env: FullDataSet, by: number): FullDataSet {
  const up = <T extends { version: number }>(m: Record<string, T>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v, version: v.version + by }]));
  return { flags: up(env.flags), segments: up(env.segments) };
}
