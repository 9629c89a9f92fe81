// Node's built-in modules for code on a consumer's cold path (the read-only store, its transport, the table
// layout), taken with `process.getBuiltinModule` instead of an ESM `import`.
//
// Why: an ESM import of a built-in makes Node build an ES module facade, which reads every export of the
// module once. node:http's exports include lazy getters (WebSocket, CloseEvent, MessageEvent) that load all
// of undici, Node's fetch, to answer them: ≈ 20–30 ms of CPU at full speed, 0.3–0.7 s on a 128 MB Lambda
// (7% of a CPU), for code the store never runs. `process.getBuiltinModule` (Node ≥ 22.3 and ≥ 20.16)
// returns the module itself, as `require` would, with no facade; the LaunchDarkly SDK loads these
// modules the same way (through `require`), so after it they cost nothing more. docs/cold-start.md measures
// it. On Node 22.0–22.2 (the package supports every Node 22) a `require` made with `createRequire` does the
// same; `node:module` is imported as a namespace, because a named `createRequire` would clash with the one
// esbuild banners for ESM bundles declare (AWS's own bundling guidance), which the package test bundles.
//
// Each is a function so a module that needs one takes it when first used, not when it is imported.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Zlib from 'node:zlib';
import * as nodeModule from 'node:module';

let fallbackRequire: NodeJS.Require | undefined;

function builtin(id: string): unknown {
  if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(id);
  fallbackRequire ??= nodeModule.createRequire(import.meta.url);
  return fallbackRequire(id);
}

export const nodeHttp = () => builtin('node:http') as typeof Http;
export const nodeHttps = () => builtin('node:https') as typeof Https;
export const nodeZlib = () => builtin('node:zlib') as typeof Zlib;
