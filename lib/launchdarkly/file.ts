// Reads a full data set from a JSON file in the `GET /sdk/latest-all` shape ({"flags": {...}, "segments":
// {...}}), e.g. a saved `curl -H "Authorization: $SDK_KEY" https://sdk.launchdarkly.com/sdk/latest-all`, or a
// put event's `data`. Errors name the file.
import { readFile } from 'node:fs/promises';
import type { FullDataSet } from '../model/types.js';
import { LaunchDarklyError, PayloadError } from './errors.js';
import { parseFullDataSet } from './parse.js';

export async function readDataFile(path: string): Promise<FullDataSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (err as Error).message;
    throw new LaunchDarklyError(`Cannot read data file ${path}: ${reason}`, { cause: err });
  }
  const where = `data file ${path}`;
  let json: unknown;
  try {
    // A BOM is common in files saved by Windows tools, and JSON.parse rejects it.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new PayloadError(where, `not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (json !== null && typeof json === 'object' && 'flagValues' in json && !('flags' in json)) {
    // LaunchDarkly's file data source accepts a "flagValues" shorthand; it has no versions, so it cannot be synced.
    throw new PayloadError(
      where,
      `has "flagValues" (the SDK file data source shorthand) but no "flags"; expected full flag JSON as returned by /sdk/latest-all`,
    );
  }
  return parseFullDataSet(json, where);
}
