// The cold path's built-in modules: taken with process.getBuiltinModule where Node has it (22.3+), and
// through a require of our own on Node 22.0–22.2, which the package still supports.
import http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttp, nodeZlib } from '../../lib/store/builtins.js';

const original = process.getBuiltinModule;
afterEach(() => {
  process.getBuiltinModule = original;
});

describe('builtins', () => {
  it('returns the modules themselves with process.getBuiltinModule', () => {
    expect(nodeHttp().request).toBe(http.request);
    expect(nodeZlib().gunzipSync).toBe(zlib.gunzipSync);
  });

  it('falls back to require on a Node without process.getBuiltinModule', () => {
    // As on Node 22.0–22.2.
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    expect(nodeHttp().request).toBe(http.request);
    expect(nodeZlib().gunzipSync(zlib.gzipSync('ok')).toString()).toBe('ok');
  });
});
