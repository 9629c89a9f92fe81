// Reading a data set from a file: the latest-all shape, with errors that name the file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../../lib/launchdarkly/file.js';

describe('readDataFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ld-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a saved latest-all body (a BOM is tolerated)', async () => {
    const path = join(dir, 'ok.json');
    const data = { flags: { a: { key: 'a', version: 1, on: true } }, segments: { s: { key: 's', version: 2 } } };
    await writeFile(path, `\uFEFF${JSON.stringify(data)}`);
    expect(await readDataFile(path)).toEqual(data);
  });

  it('names the file when it is missing, not JSON, or the wrong shape', async () => {
    const missing = join(dir, 'missing.json');
    await expect(readDataFile(missing)).rejects.toMatchObject({
      name: 'LaunchDarklyError',
      message: `Cannot read data file ${missing}: no such file`,
    });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"flags": {');
    await expect(readDataFile(bad)).rejects.toMatchObject({ name: 'PayloadError', where: `data file ${bad}` });
    const shape = join(dir, 'shape.json');
    await writeFile(shape, '{"flags": true}');
    await expect(readDataFile(shape)).rejects.toThrow(`data file ${shape}: "flags" must be an object mapping keys to items, got true`);
    const values = join(dir, 'values.json');
    await writeFile(values, '{"flagValues": {"a": true}}');
    await expect(readDataFile(values)).rejects.toThrow(/"flagValues" .* but no "flags"/);
  });
});
