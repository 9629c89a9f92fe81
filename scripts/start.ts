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

// npm runs this script through `sh -c`; a SIGTERM sent to npm reaches that shell, which dies without passing
// it on (Ctrl-C reaches every process of the terminal's group, so it never had this problem). Our parent
// changing is how we learn of it: stop as on SIGTERM, so DynamoDB Local (java) does not outlive `npm start`.
// (This is why package.json runs `node --import tsx scripts/start.ts`: the tsx wrapper would be a parent
// that stays.)
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  process.emit('SIGTERM', 'SIGTERM');
}, 250);
orphaned.unref();

const code = await runLocal(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.stdout.write('', () => process.exit(code));
