// Payload parsing, with the cases of LaunchDarkly's cross-SDK contract tests: malformed JSON or a wrong shape
// is a PayloadError naming what and where; unknown events and unknown path kinds are ignored.
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../lib/launchdarkly/errors.js';
import { parseFullDataSet, parseStreamEvent } from '../../lib/launchdarkly/parse.js';

const flag = { key: 'dark-mode', version: 3, on: true, variations: [false, true] };
const segment = { key: 'beta', version: 2, included: ['u1'] };

function payloadError(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).name).toBe('PayloadError');
    return err as PayloadError;
  }
  throw new Error('expected a PayloadError');
}

describe('parseFullDataSet', () => {
  it('accepts the latest-all shape and returns the maps', () => {
    const data = parseFullDataSet({ flags: { 'dark-mode': flag }, segments: { beta: segment } }, 'test');
    expect(data).toEqual({ flags: { 'dark-mode': flag }, segments: { beta: segment } });
  });

  it('reads a missing "segments" as no segments', () => {
    expect(parseFullDataSet({ flags: {} }, 'test')).toEqual({ flags: {}, segments: {} });
  });

  it('rejects "flags": true, a missing "flags", a non-object body and a map entry that is not an object', () => {
    expect(payloadError(() => parseFullDataSet({ flags: true, segments: {} }, 'GET x response')).message).toBe(
      'GET x response: "flags" must be an object mapping keys to items, got true',
    );
    expect(payloadError(() => parseFullDataSet({ segments: {} }, 'w')).message).toBe(
      'w: "flags" is missing; expected an object mapping keys to items',
    );
    expect(payloadError(() => parseFullDataSet([], 'w')).message).toBe('w: must be an object with "flags" and "segments", got an array');
    expect(payloadError(() => parseFullDataSet(null, 'w')).message).toContain('got null');
    expect(payloadError(() => parseFullDataSet({ flags: {}, segments: [] }, 'w')).message).toContain('"segments" must be an object');
    expect(payloadError(() => parseFullDataSet({ flags: { a: 7 } }, 'w')).message).toBe('w: "flags.a" must be an object, got 7');
  });

  it('leaves per-item checks to the store: an item with a bad version still parses', () => {
    expect(parseFullDataSet({ flags: { a: { key: 'a', version: 'x' } } }, 'w').flags.a).toEqual({ key: 'a', version: 'x' });
  });
});

describe('parseStreamEvent', () => {
  it('parses a put, with or without "path"', () => {
    const body = { flags: { 'dark-mode': flag }, segments: { beta: segment } };
    expect(parseStreamEvent('put', JSON.stringify({ path: '/', data: body }))).toEqual({ type: 'put', data: body });
    expect(parseStreamEvent('put', JSON.stringify({ data: { flags: {} } }))).toEqual({ type: 'put', data: { flags: {}, segments: {} } });
  });

  it('parses patches of flags and segments', () => {
    expect(parseStreamEvent('patch', JSON.stringify({ path: '/flags/dark-mode', data: flag }))).toEqual({
      type: 'patch',
      kind: 'features',
      item: flag,
    });
    expect(parseStreamEvent('patch', JSON.stringify({ path: '/segments/beta', data: segment }))).toEqual({
      type: 'patch',
      kind: 'segments',
      item: segment,
    });
  });

  it('takes a patch item key from the path when the item has none, and rejects one that disagrees', () => {
    expect(parseStreamEvent('patch', JSON.stringify({ path: '/flags/x', data: { version: 1 } }))).toEqual({
      type: 'patch',
      kind: 'features',
      item: { key: 'x', version: 1 },
    });
    expect(
      payloadError(() => parseStreamEvent('patch', JSON.stringify({ path: '/flags/x', data: { key: 'y', version: 1 } }))).message,
    ).toBe('patch event: "data.key" is "y" but "path" "/flags/x" names "x"');
  });

  it('parses deletes', () => {
    expect(parseStreamEvent('delete', JSON.stringify({ path: '/flags/dark-mode', version: 4 }))).toEqual({
      type: 'delete',
      kind: 'features',
      key: 'dark-mode',
      version: 4,
    });
    expect(parseStreamEvent('delete', JSON.stringify({ path: '/segments/beta', version: 9 }))).toEqual({
      type: 'delete',
      kind: 'segments',
      key: 'beta',
      version: 9,
    });
  });

  it('rejects malformed JSON in put, patch and delete', () => {
    for (const name of ['put', 'patch', 'delete']) {
      const err = payloadError(() => parseStreamEvent(name, '{"path": "/", "data": {'));
      expect(err.message).toMatch(new RegExp(`^${name} event: data is not valid JSON`));
      expect(err.where).toBe(`${name} event`);
    }
  });

  it('rejects the contract tests\' ill-shaped events: "flags": true, patch data true, delete version "no"', () => {
    expect(payloadError(() => parseStreamEvent('put', JSON.stringify({ path: '/', data: { flags: true, segments: {} } }))).message).toBe(
      'put event: "data.flags" must be an object mapping keys to items, got true',
    );
    expect(payloadError(() => parseStreamEvent('patch', JSON.stringify({ path: '/flags/x', data: true }))).message).toBe(
      'patch event: "data" must be the flag as an object, got true',
    );
    expect(payloadError(() => parseStreamEvent('delete', JSON.stringify({ path: '/flags/x', version: 'no' }))).message).toBe(
      'delete event: "version" must be a non-negative integer, got "no"',
    );
    expect(
      payloadError(() => parseStreamEvent('patch', JSON.stringify({ path: '/flags/x', data: { key: 'x', version: 'no' } }))).message,
    ).toBe('patch event: "data.version" must be a non-negative integer, got "no"');
  });

  it('rejects missing required properties: put data, patch path and data, delete path and version', () => {
    expect(payloadError(() => parseStreamEvent('put', '{"path":"/"}')).message).toBe(
      'put event: "data" is missing; expected the full data set',
    );
    expect(payloadError(() => parseStreamEvent('patch', JSON.stringify({ data: flag }))).message).toContain('"path" is missing');
    expect(payloadError(() => parseStreamEvent('patch', '{"path":"/flags/x"}')).message).toContain('"data" is missing');
    expect(payloadError(() => parseStreamEvent('delete', '{"version":1}')).message).toContain('"path" is missing');
    expect(payloadError(() => parseStreamEvent('delete', '{"path":"/flags/x"}')).message).toContain('"version" is missing');
    expect(payloadError(() => parseStreamEvent('delete', '{"path":"/flags/x","version":1.5}')).message).toContain('got 1.5');
    expect(payloadError(() => parseStreamEvent('patch', '[1,2]')).message).toBe('patch event: data must be a JSON object, got an array');
    expect(payloadError(() => parseStreamEvent('patch', JSON.stringify({ path: '/flags/', data: flag }))).message).toContain(
      'names no key',
    );
  });

  it('ignores unknown event names without parsing their data', () => {
    expect(parseStreamEvent('indirect/patch', 'not json at all')).toBeUndefined();
    expect(parseStreamEvent('reconnect', '{')).toBeUndefined();
    expect(parseStreamEvent('message', '')).toBeUndefined();
  });

  it('ignores patches and deletes for an unknown path kind', () => {
    expect(parseStreamEvent('patch', JSON.stringify({ path: '/cats/felix', data: { key: 'felix', version: 1 } }))).toBeUndefined();
    expect(parseStreamEvent('patch', JSON.stringify({ path: '/cats/felix', data: true }))).toBeUndefined();
    expect(parseStreamEvent('delete', JSON.stringify({ path: '/cats/felix', version: 1 }))).toBeUndefined();
  });
});

describe('keys that are JavaScript property names', () => {
  it('are kept as keys, and absent ones read as absent', () => {
    const data = parseFullDataSet(
      JSON.parse('{"flags":{"__proto__":{"key":"__proto__","version":1},"constructor":{"key":"constructor","version":2}},"segments":{}}'),
      'test',
    );
    expect(Object.keys(data.flags)).toEqual(['__proto__', 'constructor']);
    expect(data.flags['__proto__']).toEqual({ key: '__proto__', version: 1 });
    expect(data.flags['toString']).toBeUndefined();
    expect(data.segments['hasOwnProperty']).toBeUndefined();
    const put = parseStreamEvent('put', '{"path":"/","data":{"flags":{"__proto__":{"key":"__proto__","version":1}}}}');
    expect(put?.type === 'put' && Object.keys(put.data.flags)).toEqual(['__proto__']);
    expect(put?.type === 'put' && put.data.segments['valueOf']).toBeUndefined();
  });
});
