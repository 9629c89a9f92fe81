#!/usr/bin/env node
// The ld-dynamodb-sync executable. In a checkout it runs the TypeScript sources through tsx (no build step);
// where only the compiled package is present it runs dist/. The CLI itself is lib/cli/main.ts.
// SIGINT/SIGTERM abort the command's signal (a stream session then flushes its writes and prints its
// summary); a second signal exits at once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../lib/cli/main.ts', import.meta.url);
let cli;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('../dist/lib/cli/main.js', import.meta.url).href);
}

const controller = new AbortController();
let signals = 0;
for (const name of ['SIGINT', 'SIGTERM']) {
  process.on(name, () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\nReceived ${name}: finishing the writes in flight (send it again to quit at once)\n`);
    controller.abort(new Error(`Received ${name}`));
  });
}

const code = await cli.main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
// Exit explicitly: an HTTP keep-alive socket of a client must not hold the process open after the summary.
process.stdout.write('', () => process.exit(code));
