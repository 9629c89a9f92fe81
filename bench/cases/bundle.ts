// Consumer bundle: the minimal consumer Lambda of each side (bench/consumer/ours.ts, bench/consumer/peer.cjs)
// bundled by esbuild with identical settings, the AWS SDK included on both sides (Lambda's Node 22 runtime
// ships AWS SDK v3 but not v2, so LaunchDarkly's store must carry aws-sdk v2; we bundle v3 too, as
// bundling is what AWS recommends). The bundles are also what the cold-path benchmark runs.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { Impl } from '../workers/init-worker.js';

export interface BundleFigures {
  /** The entry file the cold path imports. */
  file: string;
  /** What a cold start loads: the entry and the chunks it imports statically. */
  minifiedBytes: number;
  gzipBytes: number;
  /** Chunks loaded only by a dynamic import() when needed (ours: the AWS SDK client, the credential chain). */
  lazyBytes: number;
  /** Largest packages in the bundle, by minified bytes. */
  largest: { name: string; bytes: number }[];
}

export const bundleEntries: Record<Impl, string> = { ours: 'bench/consumer/ours.ts', peer: 'bench/consumer/peer.cjs' };

/**
 * Code splitting on for both: what a dynamic import() loads on demand goes to its own chunk instead of the
 * cold path (a Lambda zip holds several files; LaunchDarkly's CommonJS code has no dynamic imports to split).
 * ESM for both (Lambda runs either); CommonJS dependencies inside an ESM bundle need a `require`, which the
 * banner provides, as AWS's own bundling guidance does.
 */
export const bundleSettings = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  legalComments: 'none',
  banner: {
    js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);",
  },
  metafile: true,
  write: true,
  logLevel: 'error',
} as const;

export interface Bundles {
  /** Everything in one file, AWS SDK included: the bundle measured, and what the cold path runs. */
  bundled: Record<Impl, BundleFigures>;
  /** The same entry points with every package left external (loaded from node_modules at run time), as a
   * zip of node_modules would deploy them: the cold path is measured this way too, since it favours the peer. */
  external: Record<Impl, string>;
}

export async function buildBundles(repoRoot: string, outDir: string): Promise<Bundles> {
  await mkdir(outDir, { recursive: true });
  const bundled = {} as Record<Impl, BundleFigures>;
  const external = {} as Record<Impl, string>;
  for (const impl of ['ours', 'peer'] as const) {
    const entryPoints = [path.join(repoRoot, bundleEntries[impl])];
    const dir = path.join(outDir, impl);
    const out = await build({
      ...bundleSettings,
      absWorkingDir: repoRoot,
      entryPoints,
      outdir: dir,
      splitting: true,
      entryNames: 'index',
      outExtension: { '.js': '.mjs' },
    });
    const file = path.join(dir, 'index.mjs');
    const { eager, lazy } = await splitOutputs(repoRoot, out.metafile!, file);
    const eagerBytes = Buffer.concat(await Promise.all(eager.map((f) => readFile(f))));
    const lazyBytes = (await Promise.all(lazy.map((f) => readFile(f)))).reduce((sum, b) => sum + b.byteLength, 0);
    bundled[impl] = {
      file,
      minifiedBytes: eagerBytes.byteLength,
      gzipBytes: gzipSync(eagerBytes, { level: 9 }).byteLength,
      lazyBytes,
      largest: largestPackages(out.metafile!),
    };
    // Under node_modules, so that bare imports resolve to the packages as they would in a deployed zip.
    external[impl] = path.join(outDir, `${impl}-external.mjs`);
    await build({
      ...bundleSettings,
      metafile: false,
      absWorkingDir: repoRoot,
      entryPoints,
      outfile: external[impl],
      packages: 'external',
    });
  }
  return { bundled, external };
}

/** The output files a cold start loads (the entry and its static imports, transitively) and the rest. */
async function splitOutputs(repoRoot: string, meta: Metafile, entry: string): Promise<{ eager: string[]; lazy: string[] }> {
  const abs = (f: string) => path.resolve(repoRoot, f);
  const outputs = new Map(
    Object.entries(meta.outputs)
      .filter(([f]) => f.endsWith('.mjs'))
      .map(([f, o]) => [abs(f), o]),
  );
  const eager = new Set<string>();
  const visit = (f: string) => {
    if (eager.has(f) || !outputs.has(f)) return;
    eager.add(f);
    for (const i of outputs.get(f)!.imports) if (i.kind === 'import-statement' && !i.external) visit(abs(i.path));
  };
  visit(entry);
  return { eager: [...eager], lazy: [...outputs.keys()].filter((f) => !eager.has(f)) };
}

function largestPackages(meta: Metafile): { name: string; bytes: number }[] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = m ? m[1]! : input.startsWith('lib/') ? 'ld-dynamodb-sync (lib/)' : input;
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 6);
}
