// Node's built-in modules for code on a consumer's cold path (the read-only store, its transport, the table
// layout), taken with `process.getBuiltinModule` instead of an ESM `import`.
//
// Why: an ESM import of a built-in makes Node build an ES module facade, which reads every export of the
// module once. node:http's exports include lazy getters (WebSocket, CloseEvent, MessageEvent) that load all
// of undici, Node's fetch, to answer them: ≈ 10–15 ms of CPU at full speed, so ≈ 0.2 s on a 128 MB Lambda
// (7% of a CPU), for code the store never runs. `process.getBuiltinModule` (Node ≥ 22.3) returns the
// module itself, as `require` would, with no facade; the LaunchDarkly SDK loads these modules the same way
// (through `require`), so after it they cost nothing more. docs/cold-start.md measures it. On Node 22.0–22.2
// a `require` does the same (node:module is loaded by Node itself; a built-in resolves from any path).
//
// Each is a function so a module that needs one takes it when first used, not when it is imported.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

const builtin: (id: string) => unknown =
  typeof process.getBuiltinModule === 'function' ? (id) => process.getBuiltinModule(id) : createRequire('/');

export const nodeHttp = () => builtin('node:http') as typeof Http;
export const nodeHttps = () => builtin('node:https') as typeof Https;
export const nodeZlib = () => builtin('node:zlib') as typeof Zlib;
