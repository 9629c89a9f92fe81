// `npm start`: the one-command local run (see lib/cli/local-run.ts and `npm start -- --help`).
// This file is only the process edge: arguments, environment, signals and the exit code.
import { runLocal } from '../lib/cli/local-run.js';

const controller = new AbortController();
let signals = 0;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    signals += 1;
    // A second signal quits at once; DynamoDB Local is our child and goes down with the process group.
    if (signals > 1) process.exit(130);
    controller.abort(new Error(`Received ${name}`));
  });
}

const code = await runLocal(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.stdout.write('', () => process.exit(code));
