// The test-data generator: deterministic, realistic sizes and shapes, acyclic prerequisites at most 3 deep,
// references that resolve, and withChangedFlags changing exactly the requested share of flags.
import { describe, expect, it } from 'vitest';
import { generateContexts, generateEnvironment, withChangedFlags } from '../support/generate-environment.js';

describe('generateEnvironment', () => {
  const env = generateEnvironment({ flags: 2000, seed: 7 });
  const flags = Object.values(env.flags);

  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(generateEnvironment({ flags: 2000, seed: 7 }))).toBe(JSON.stringify(env));
    expect(JSON.stringify(generateEnvironment({ flags: 2000, seed: 8 }))).not.toBe(JSON.stringify(env));
  });

  it('makes flags of 1–2 KB and 5% as many segments by default', () => {
    expect(flags).toHaveLength(2000);
    expect(Object.keys(env.segments)).toHaveLength(100);
    for (const f of flags) {
      const size = JSON.stringify(f).length;
      expect(size).toBeGreaterThanOrEqual(1024);
      expect(size).toBeLessThanOrEqual(2048);
    }
    expect(Object.keys(generateEnvironment({ flags: 10, segments: 3 }).segments)).toHaveLength(3);
  });

  it('uses the data model’s features: targets, every clause family, rollouts, prerequisites, variation types', () => {
    const ops = new Set<string>();
    for (const f of flags) for (const r of f.rules as { clauses: { op: string }[] }[]) for (const c of r.clauses) ops.add(c.op);
    expect([...ops]).toEqual(
      expect.arrayContaining(['in', 'startsWith', 'endsWith', 'semVerGreaterThan', 'semVerLessThan', 'semVerEqual', 'segmentMatch']),
    );
    expect(flags.some((f) => (f.targets as unknown[]).length > 0)).toBe(true);
    expect(flags.some((f) => (f.contextTargets as { contextKind: string }[]).some((t) => t.contextKind === 'organization'))).toBe(true);
    expect(flags.some((f) => 'rollout' in (f.fallthrough as object))).toBe(true);
    expect(flags.some((f) => (f.rules as { rollout?: { kind?: string } }[]).some((r) => r.rollout?.kind === 'experiment'))).toBe(true);
    const types = new Set(flags.map((f) => typeof (f.variations as unknown[])[0]));
    expect([...types].sort()).toEqual(['boolean', 'number', 'object', 'string']);
    for (const f of flags) expect(f.salt).toMatch(/^[0-9a-f]{32}$/);
    const segments = Object.values(env.segments);
    expect(segments.some((s) => (s.included as unknown[]).length > 100)).toBe(true);
    expect(segments.some((s) => (s.rules as { clauses: { op: string }[] }[]).some((r) => r.clauses[0]!.op === 'segmentMatch'))).toBe(true);
  });

  it('keeps prerequisites acyclic, at most 3 deep, pointing at existing flags and valid variations; segment references resolve', () => {
    const depth = (key: string, seen: string[] = []): number => {
      expect(seen).not.toContain(key);
      const f = env.flags[key]!;
      return Math.max(0, ...(f.prerequisites ?? []).map((p) => depth(p.key, [...seen, key]) + 1));
    };
    let withPrereqs = 0;
    for (const f of flags) {
      for (const p of f.prerequisites ?? []) {
        const target = env.flags[p.key];
        expect(target).toBeDefined();
        expect(p.variation).toBeLessThan((target!.variations as unknown[]).length);
      }
      if ((f.prerequisites ?? []).length > 0) withPrereqs++;
      expect(depth(f.key)).toBeLessThanOrEqual(3);
    }
    expect(withPrereqs).toBeGreaterThan(100);
    expect(flags.some((f) => depth(f.key) === 3)).toBe(true);
    const all = [...flags, ...Object.values(env.segments)];
    for (const item of all) {
      for (const r of item.rules as { clauses: { op: string; values: string[] }[] }[]) {
        for (const c of r.clauses) if (c.op === 'segmentMatch') for (const k of c.values) expect(env.segments[k]).toBeDefined();
      }
    }
  });

  it('builds 10,000 flags', () => {
    const big = generateEnvironment({ flags: 10_000, seed: 1 });
    expect(Object.keys(big.flags)).toHaveLength(10_000);
    expect(Object.keys(big.segments)).toHaveLength(500);
  });
});

describe('withChangedFlags', () => {
  it('bumps the version and changes the fallthrough of the requested share of flags, deterministically', () => {
    const env = generateEnvironment({ flags: 500, seed: 2 });
    const changed = withChangedFlags(env, 0.1, 3);
    const keys = Object.keys(env.flags).filter((k) => changed.flags[k] !== env.flags[k]);
    expect(keys).toHaveLength(50);
    for (const k of keys) {
      expect(changed.flags[k]!.version).toBe(env.flags[k]!.version + 1);
      expect(changed.flags[k]!.fallthrough).not.toEqual(env.flags[k]!.fallthrough);
    }
    expect(Object.keys(changed.flags)).toEqual(Object.keys(env.flags));
    expect(withChangedFlags(env, 0.1, 3)).toEqual(changed);
    expect(withChangedFlags(env, 0, 3).flags).toEqual(env.flags);
    expect(() => withChangedFlags(env, 1.5)).toThrow(RangeError);
  });
});

describe('generateContexts', () => {
  it('makes deterministic multi-kind contexts', () => {
    const contexts = generateContexts(50, 4);
    expect(contexts).toEqual(generateContexts(50, 4));
    expect(contexts.every((c) => c.kind === 'multi' && c.user.key.startsWith('user-'))).toBe(true);
    expect(contexts.some((c) => c.organization) && contexts.some((c) => c.device)).toBe(true);
  });
});
