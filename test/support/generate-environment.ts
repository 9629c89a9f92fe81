// A deterministic generator of realistic LaunchDarkly environments (flags and segments in the shape the
// server SDKs read, see ld-protocols.md §3), for tests and benchmarks. Given a seed it always produces the
// same data, and it is fast enough to build 10,000 flags of 1–2 KB JSON each in a fraction of a second.
//
// What the data exercises: individual targets (user and other kinds), rules with in / startsWith /
// endsWith / contains / semVer / segmentMatch clauses, percentage rollouts and experiments, prerequisites
// (acyclic: a flag only depends on flags generated before it, chains at most 3 deep), off variations,
// boolean / string / number / JSON variations; segments with included / excluded lists (some longer than
// the SDK's 100-entry cut-off, which it turns into sets), context targets, weighted rules, and rules that
// match other segments.
import type { Flag, FullDataSet, Segment } from '../../lib/store/types.js';

export interface GenerateEnvironmentOptions {
  flags: number;
  /** Number of segments; default 5% of the flags (at least 1 when there are flags). */
  segments?: number;
  seed?: number;
}

/** A small, fast, seeded PRNG (mulberry32): good enough for test data, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  hex(len: number): string {
    let s = '';
    while (s.length < len) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, len);
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

// Pools shared with generateContexts, so that generated contexts hit targets and rules often enough.
export const USER_POOL = 2000;
export const ORG_POOL = 200;
export const DEVICE_POOL = 500;
export const COUNTRIES = ['NZ', 'AU', 'US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'CA'] as const;
export const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export const DOMAINS = ['example.com', 'example.org', 'corp.example.net', 'mail.test'] as const;
export const PLATFORMS = ['ios', 'android', 'web', 'desktop'] as const;
const WORDS = [
  'checkout',
  'search',
  'billing',
  'onboarding',
  'profile',
  'export',
  'dashboard',
  'payments',
  'cart',
  'reports',
  'inbox',
  'sharing',
  'admin',
  'mobile',
  'api',
];
const FLAG_KINDS = ['enabled', 'v2', 'rollout', 'experiment', 'banner', 'limit', 'config', 'redesign', 'beta', 'killswitch'];

const userKey = (n: number) => `user-${n}`;
const orgKey = (n: number) => `org-${n}`;
const deviceKey = (n: number) => `device-${n}`;
const semver = (r: Rng) => `${r.between(1, 4)}.${r.int(12)}.${r.int(20)}`;

type Variations = unknown[];

function makeVariations(r: Rng, i: number): Variations {
  const roll = r.next();
  if (roll < 0.55) return [true, false];
  if (roll < 0.8) {
    const n = r.between(2, 4);
    return Array.from({ length: n }, (_, v) => `${r.pick(WORDS)}-variant-${String.fromCharCode(97 + v)}`);
  }
  if (roll < 0.9) return Array.from({ length: r.between(2, 3) }, () => r.between(1, 100) * 10);
  return Array.from({ length: r.between(2, 3) }, (_, v) => ({
    layout: r.pick(['grid', 'list', 'cards']),
    pageSize: 10 * (v + 1),
    colors: { primary: `#${r.hex(6)}`, accent: `#${r.hex(6)}` },
    features: [r.pick(WORDS), r.pick(WORDS)],
    flagIndex: i,
  }));
}

function makeRollout(r: Rng, variations: number, contextKind = 'user'): Record<string, unknown> {
  // Weights are in 1/1000 of a percent and must add up to 100,000.
  const weights: number[] = [];
  let left = 100_000;
  for (let v = 0; v < variations - 1; v++) {
    const w = r.int(left / 1000 + 1) * 1000;
    weights.push(w);
    left -= w;
  }
  weights.push(left);
  const rollout: Record<string, unknown> = {
    contextKind,
    variations: weights.map((weight, variation) => ({ variation, weight })),
  };
  if (r.chance(0.15)) {
    rollout.kind = 'experiment';
    rollout.seed = r.between(1, 1_000_000);
  } else if (contextKind === 'user' && r.chance(0.3)) {
    rollout.bucketBy = r.pick(['key', 'email', 'country']);
  }
  return rollout;
}

function makeClause(r: Rng, segmentKeys: readonly string[], maxSegment: number): Record<string, unknown> {
  const roll = r.next();
  const negate = r.chance(0.1);
  if (roll < 0.18 && maxSegment > 0) {
    const values = [segmentKeys[r.int(maxSegment)]!];
    if (r.chance(0.3)) values.push(segmentKeys[r.int(maxSegment)]!);
    return { contextKind: 'user', attribute: '', op: 'segmentMatch', values: [...new Set(values)], negate };
  }
  if (roll < 0.45) {
    const values = [...new Set([r.pick(COUNTRIES), r.pick(COUNTRIES), r.pick(COUNTRIES)])];
    return { contextKind: 'user', attribute: 'country', op: 'in', values, negate };
  }
  if (roll < 0.58) return { contextKind: 'user', attribute: 'email', op: 'endsWith', values: [`@${r.pick(DOMAINS)}`], negate };
  if (roll < 0.68) return { contextKind: 'user', attribute: 'key', op: 'startsWith', values: [`user-${r.between(1, 9)}`], negate };
  if (roll < 0.8) {
    const op = r.pick(['semVerGreaterThan', 'semVerLessThan', 'semVerEqual']);
    return { contextKind: 'device', attribute: 'appVersion', op, values: [semver(r)], negate };
  }
  if (roll < 0.9) return { contextKind: 'organization', attribute: 'plan', op: 'in', values: [r.pick(PLANS), r.pick(PLANS)], negate };
  if (roll < 0.95) return { contextKind: 'user', attribute: 'name', op: 'contains', values: [r.pick(['an', 'el', 'o'])], negate };
  return { contextKind: 'device', attribute: 'platform', op: 'in', values: [r.pick(PLATFORMS)], negate };
}

function makeFlag(
  r: Rng,
  i: number,
  key: string,
  segmentKeys: readonly string[],
  prereqCandidates: { key: string; variations: number }[],
): Flag {
  const variations = makeVariations(r, i);
  const n = variations.length;
  const flag: Record<string, unknown> = { key, version: r.between(1, 120), on: r.chance(0.85) };

  flag.prerequisites = [];
  if (prereqCandidates.length > 0 && r.chance(0.3)) {
    const count = r.chance(0.2) ? 2 : 1;
    const chosen = new Map<string, number>();
    for (let c = 0; c < count; c++) {
      const p = r.pick(prereqCandidates);
      chosen.set(p.key, r.chance(0.8) ? 0 : r.int(p.variations));
    }
    flag.prerequisites = [...chosen].map(([k, variation]) => ({ key: k, variation }));
  }

  const targets = [];
  const contextTargets: Record<string, unknown>[] = [];
  for (let v = 0; v < n; v++) {
    if (!r.chance(0.5)) continue;
    const values = Array.from({ length: r.between(1, 12) }, () => userKey(r.int(USER_POOL)));
    targets.push({ values: [...new Set(values)], variation: v });
    // A user-kind entry with no values keeps the order of `targets` relative to other kinds.
    contextTargets.push({ contextKind: 'user', values: [], variation: v });
    if (r.chance(0.4)) {
      const orgs = Array.from({ length: r.between(1, 5) }, () => orgKey(r.int(ORG_POOL)));
      contextTargets.push({ contextKind: 'organization', values: [...new Set(orgs)], variation: v });
    }
  }
  flag.targets = targets;
  flag.contextTargets = contextTargets;

  const rules = [];
  const ruleCount = r.int(5);
  for (let k = 0; k < ruleCount; k++) {
    const clauses = Array.from({ length: r.chance(0.3) ? 2 : 1 }, () => makeClause(r, segmentKeys, segmentKeys.length));
    const rule: Record<string, unknown> = { id: r.uuid(), clauses, trackEvents: r.chance(0.05) };
    if (r.chance(0.3)) rule.rollout = makeRollout(r, n, clauses[0]!.contextKind as string);
    else rule.variation = r.int(n);
    if (r.chance(0.2)) rule.description = `Serve ${r.pick(WORDS)} to ${r.pick(PLANS)} customers`;
    rules.push(rule);
  }
  flag.rules = rules;

  flag.fallthrough = r.chance(0.25) ? { rollout: makeRollout(r, n) } : { variation: r.int(n) };
  if (r.chance(0.95)) flag.offVariation = n > 1 ? 1 : 0;
  flag.variations = variations;
  flag.clientSide = r.chance(0.3);
  flag.clientSideAvailability = { usingMobileKey: r.chance(0.3), usingEnvironmentId: flag.clientSide };
  flag.salt = r.hex(32);
  flag.trackEvents = r.chance(0.05);
  flag.trackEventsFallthrough = r.chance(0.02);
  flag.debugEventsUntilDate = null;
  flag.deleted = false;
  return flag as Flag;
}

/** Grows or trims the individual targets (then rules) so that the flag's JSON lands between 1 and 2 KB. */
function fitSize(r: Rng, flag: Flag): void {
  const targets = flag.targets as { values: string[]; variation: number }[];
  const rules = flag.rules as unknown[];
  // Track the size arithmetically (a JSON string element costs its length plus quotes and a comma), and
  // stringify again only to confirm: re-serialising on every step would dominate the generator's time.
  let size = JSON.stringify(flag).length;
  while (size < 1024 || size > 2048) {
    while (size < 1024) {
      if (targets.length === 0) {
        targets.push({ values: [], variation: 0 });
        (flag.contextTargets as unknown[]).unshift({ contextKind: 'user', values: [], variation: 0 });
        size += 70;
      }
      const t = targets[r.int(targets.length)]!;
      const key = userKey(r.int(USER_POOL));
      if (t.values.includes(key)) continue;
      t.values.push(key);
      size += key.length + 3;
    }
    while (size > 2048) {
      let longest = targets[0];
      for (const t of targets) if (t.values.length > longest!.values.length) longest = t;
      if (longest && longest.values.length > 1) size -= longest.values.pop()!.length + 3;
      else if (rules.length > 0) size -= JSON.stringify(rules.pop()).length + 1;
      else return;
    }
    // The arithmetic is off by a few bytes at most (empty arrays, new target entries): confirm near the bounds.
    if (size < 1024 + 64 || size > 2048 - 64) size = JSON.stringify(flag).length;
  }
}

function makeSegment(r: Rng, j: number, key: string, segmentKeys: readonly string[], depth: number[]): Segment {
  const big = r.chance(0.1);
  const included = Array.from({ length: big ? r.between(101, 180) : r.int(30) }, () => userKey(r.int(USER_POOL)));
  const excluded = Array.from({ length: r.int(8) }, () => userKey(r.int(USER_POOL)));
  const segment: Record<string, unknown> = {
    key,
    version: r.between(1, 40),
    included: [...new Set(included)],
    excluded: [...new Set(excluded)],
    includedContexts: r.chance(0.4)
      ? [{ contextKind: 'organization', values: [...new Set(Array.from({ length: r.between(1, 10) }, () => orgKey(r.int(ORG_POOL))))] }]
      : [],
    excludedContexts: r.chance(0.1) ? [{ contextKind: 'device', values: [deviceKey(r.int(DEVICE_POOL))] }] : [],
  };
  // Segments may match earlier segments, at most two levels deep (acyclic by construction).
  const nested = segmentKeys.slice(0, j).filter((_, s) => depth[s]! < 2);
  depth[j] = 0;
  const rules = [];
  for (let k = r.int(3); k > 0; k--) {
    let clause: Record<string, unknown>;
    if (nested.length > 0 && r.chance(0.15)) {
      const target = r.pick(nested);
      clause = { contextKind: 'user', attribute: '', op: 'segmentMatch', values: [target], negate: false };
      depth[j] = Math.max(depth[j]!, depth[segmentKeys.indexOf(target)]! + 1);
    } else clause = makeClause(r, segmentKeys, 0);
    const rule: Record<string, unknown> = { id: r.uuid(), clauses: [clause] };
    if (r.chance(0.3)) {
      rule.weight = r.int(100_001);
      rule.bucketBy = 'key';
      rule.rolloutContextKind = 'user';
    }
    rules.push(rule);
  }
  segment.rules = rules;
  segment.salt = r.hex(32);
  segment.unbounded = false;
  segment.generation = 1;
  segment.deleted = false;
  return segment as Segment;
}

/** Builds a deterministic, realistic environment: `flags` flags and (by default) 5% as many segments. */
export function generateEnvironment(options: GenerateEnvironmentOptions): FullDataSet {
  const { flags: flagCount, seed = 1 } = options;
  if (!Number.isInteger(flagCount) || flagCount < 0) throw new RangeError(`flags must be a non-negative integer, got ${flagCount}`);
  const segmentCount = options.segments ?? (flagCount > 0 ? Math.max(1, Math.round(flagCount * 0.05)) : 0);
  const r = new Rng(seed);

  const segmentKeys = Array.from({ length: segmentCount }, (_, j) => `${r.pick(WORDS)}-segment-${j}`);
  const segments: Record<string, Segment> = {};
  const segDepth: number[] = [];
  segmentKeys.forEach((key, j) => {
    segments[key] = makeSegment(r, j, key, segmentKeys, segDepth);
  });

  const flags: Record<string, Flag> = {};
  // Prerequisite depth of each flag so far: a flag only takes prerequisites of depth ≤ 2, so chains stay ≤ 3.
  const eligible: { key: string; variations: number }[] = [];
  const depth = new Map<string, number>();
  for (let i = 0; i < flagCount; i++) {
    const key = `${r.pick(WORDS)}-${r.pick(FLAG_KINDS)}-${i}`;
    // Prerequisites come from a window of recent flags, as teams tend to chain related flags.
    const window = eligible.slice(-50);
    const flag = makeFlag(r, i, key, segmentKeys, window);
    fitSize(r, flag);
    const d = Math.max(0, ...(flag.prerequisites ?? []).map((p) => depth.get(p.key)! + 1));
    depth.set(key, d);
    if (d < 3) eligible.push({ key, variations: (flag.variations as unknown[]).length });
    flags[key] = flag;
  }
  return { flags, segments };
}

/**
 * A copy of `env` in which round(fraction × flags) flags, chosen by `seed`, have their version bumped and
 * their fallthrough changed to another variation. Unchanged flags and all segments are shared with `env`
 * (treat both as immutable); changed flags are new objects.
 */
export function withChangedFlags(env: FullDataSet, fraction: number, seed = 1): FullDataSet {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be between 0 and 1, got ${fraction}`);
  const keys = Object.keys(env.flags);
  const count = Math.round(keys.length * fraction);
  const r = new Rng(seed);
  // Partial Fisher–Yates: the first `count` entries are a uniform sample.
  for (let i = 0; i < count; i++) {
    const j = i + r.int(keys.length - i);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const flags = { ...env.flags };
  for (const key of keys.slice(0, count)) {
    const old = env.flags[key]!;
    const n = Math.max(1, (old.variations as unknown[] | undefined)?.length ?? 1);
    const current = (old.fallthrough as { variation?: number } | undefined)?.variation ?? -1;
    flags[key] = { ...old, version: old.version + 1, fallthrough: { variation: (current + 1) % n } };
  }
  return { flags, segments: env.segments };
}

/** A multi-kind context (user, and often organization and device), assignable to the SDK's LDContext. */
export type GeneratedContext = {
  kind: 'multi';
  user: { key: string; email: string; country: string; name: string };
  organization?: { key: string; plan: string };
  device?: { key: string; appVersion: string; platform: string };
};

/** Deterministic multi-kind contexts whose keys and attributes overlap the generated targets and rules. */
export function generateContexts(count: number, seed = 1): GeneratedContext[] {
  const r = new Rng(seed ^ 0x5bd1e995);
  const names = ['Ana', 'Bob', 'Chen', 'Dana', 'Eli', 'Femi', 'Gus', 'Hana', 'Ivo', 'Jo'];
  return Array.from({ length: count }, () => {
    const ctx: GeneratedContext = {
      kind: 'multi',
      user: {
        key: userKey(r.int(USER_POOL)),
        email: `${r.pick(names).toLowerCase()}${r.int(1000)}@${r.pick(DOMAINS)}`,
        country: r.pick(COUNTRIES),
        name: r.pick(names),
      },
    };
    if (r.chance(0.7)) ctx.organization = { key: orgKey(r.int(ORG_POOL)), plan: r.pick(PLANS) };
    if (r.chance(0.6)) ctx.device = { key: deviceKey(r.int(DEVICE_POOL)), appVersion: semver(r), platform: r.pick(PLATFORMS) };
    return ctx;
  });
}
