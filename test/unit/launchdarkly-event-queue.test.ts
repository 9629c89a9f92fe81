// The stream session's queue stays bounded while the store is slow, without changing what the table ends up with.
import { describe, expect, it } from 'vitest';
import { COLLAPSE_AT, EventQueue } from '../../lib/launchdarkly/event-queue.js';
import type { StreamEvent } from '../../lib/launchdarkly/parse.js';

const patch = (key: string, version: number): StreamEvent => ({ type: 'patch', kind: 'features', item: { key, version } });
const put = (n: number): StreamEvent => ({ type: 'put', data: { flags: { [`f${n}`]: { key: `f${n}`, version: 1 } }, segments: {} } });
const drain = (q: EventQueue) => {
  const out: StreamEvent[] = [];
  for (let e = q.shift(); e; e = q.shift()) out.push(e);
  return out;
};

describe('EventQueue', () => {
  it('keeps every event, in order, below the collapse threshold', () => {
    const q = new EventQueue();
    const sent = [patch('a', 1), patch('a', 2), { type: 'delete', kind: 'features', key: 'a', version: 3 } as StreamEvent, patch('b', 1)];
    for (const e of sent) q.push(e);
    expect(drain(q)).toEqual(sent);
  });

  it('a put supersedes everything queued before it, and what follows it is kept after it', () => {
    const q = new EventQueue();
    q.push(patch('a', 1));
    q.push(put(1));
    q.push(patch('b', 1));
    q.push(put(2));
    q.push(patch('c', 1));
    expect(drain(q)).toEqual([put(2), patch('c', 1)]);
    expect(q.superseded).toBe(3);
  });

  it('50,000 patches to 10 flags stay within the threshold and leave the highest version of each', () => {
    const q = new EventQueue();
    q.push(put(0));
    let peak = 0;
    for (let i = 0; i < 50_000; i++) {
      // Versions arrive out of order now and then: the highest must win, not the last.
      q.push(patch(`f${i % 10}`, i % 997 === 0 ? 1 : i));
      peak = Math.max(peak, q.length);
    }
    expect(peak).toBeLessThanOrEqual(COLLAPSE_AT + 1);
    const out = drain(q);
    expect(out[0]).toEqual(put(0));
    // Applied in turn, the store keeps the highest version of each flag: the same as if nothing had collapsed.
    const stored = new Map<string, number>();
    for (const e of out.slice(1)) {
      const { key, version } = (e as { item: { key: string; version: number } }).item;
      stored.set(key, Math.max(stored.get(key) ?? 0, version));
    }
    for (let k = 0; k < 10; k++) expect(stored.get(`f${k}`)).toBe(49_990 + k);
    expect(out.length).toBeLessThan(50_000 / 10);
  });

  it('many distinct keys are all kept: the queue is bounded by the environment, not by time', () => {
    const q = new EventQueue();
    for (let i = 0; i < 5000; i++) q.push(patch(`k${i}`, 1));
    for (let i = 0; i < 5000; i++) q.push(patch(`k${i}`, 2));
    const out = drain(q);
    expect(new Set(out.map((e) => (e as { item: { key: string } }).item.key)).size).toBe(5000);
    expect(out.length).toBeLessThanOrEqual(10_000);
    expect(out.filter((e) => (e as { item: { version: number } }).item.version === 2)).toHaveLength(5000);
  });
});
