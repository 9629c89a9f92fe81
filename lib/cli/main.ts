// The ld-dynamodb-sync command: dispatches to `sync` and `status`, and turns every failure into one line on
// stderr and a non-zero exit code (2 for a usage error, 1 for anything else). It runs in-process from
// tests through `main(argv, io)`; bin/ld-dynamodb-sync.js is the executable around it.
import { describeFailure, UsageError } from './errors.js';
import { redacting, type CliIO } from './output.js';
import { STATUS_HELP, SYNC_HELP } from './help.js';

export type { CliIO, Output } from './output.js';

export const PROGRAM = 'ld-dynamodb-sync';

export const HELP = `Usage: ${PROGRAM} <command> [options]

Keeps LaunchDarkly flags in a DynamoDB table, in LaunchDarkly's own persistent-store layout.

Commands:
  sync     sync flags and segments into the table from LaunchDarkly (poll or stream) or from a file
  status   show whether the table is initialized, what it holds and when it was last synced

Run '${PROGRAM} <command> --help' for a command's options.
`;

// Commands are loaded when run: `status` and `--help` need neither the sources nor the sync core.
const COMMANDS: Record<string, { run: (argv: string[], io: CliIO) => Promise<number>; help: string }> = {
  sync: { run: async (argv, io) => (await import('./sync-command.js')).syncCommand(argv, io), help: SYNC_HELP },
  status: { run: async (argv, io) => (await import('./status-command.js')).statusCommand(argv, io), help: STATUS_HELP },
};

/** Runs the command line `argv` (without the program name) and resolves with the exit code. Never rejects. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  // Whatever any layer puts in a message, the SDK key never reaches the terminal or a log.
  const secrets = [io.env.LD_SDK_KEY, io.env.LD_SDK_KEY?.trim()];
  const safe: CliIO = { ...io, stdout: redacting(io.stdout, secrets), stderr: redacting(io.stderr, secrets) };
  const [name, ...rest] = argv;
  let command: string | undefined;
  try {
    if (name === undefined) {
      safe.stderr.write(HELP);
      return 2;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !COMMANDS[topic])
        throw new UsageError(`Unknown command '${topic}'; expected one of ${Object.keys(COMMANDS).join(', ')}`);
      safe.stdout.write(topic ? COMMANDS[topic]!.help : HELP);
      return 0;
    }
    const entry = COMMANDS[name];
    if (!entry) {
      if (name.startsWith('-')) throw new UsageError(`Expected a command (${Object.keys(COMMANDS).join(' or ')}) before '${name}'`);
      throw new UsageError(`Unknown command '${name}'; expected one of ${Object.keys(COMMANDS).join(', ')}`);
    }
    command = name;
    return await entry.run(rest, safe);
  } catch (err) {
    if (err instanceof UsageError) {
      const where = err.command ?? command;
      safe.stderr.write(`${PROGRAM}${where ? ` ${where}` : ''}: ${err.message} (see '${PROGRAM}${where ? ` ${where}` : ''} --help')\n`);
      return 2;
    }
    safe.stderr.write(`${PROGRAM}${command ? ` ${command}` : ''}: ${describeFailure(err, {})}\n`);
    return 1;
  }
}
