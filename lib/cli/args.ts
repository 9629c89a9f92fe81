// Command-line parsing on node:util parseArgs (strict), with the messages rewritten into our own one-line
// form ("Unknown option '--x'", "Option '--table' needs a value") and small validators for option values.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ServiceUriError, checkServiceUri } from '../launchdarkly/service-uri.js';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<T> {
  values: T;
  positionals: string[];
}

/**
 * Parses `argv` against `options` in strict mode. Errors become UsageErrors naming the option as typed.
 * `allowPositionals` is for the top level (the command name); commands take none.
 */
export function parse<T>(argv: string[], options: Options, command: string | undefined, allowPositionals = false): Parsed<T> {
  try {
    const { values, positionals, tokens } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals,
      allowNegative: true,
      tokens: true,
    });
    rejectRepeats(tokens, options, command);
    return { values: values as T, positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(rewrite(err as Error & { code?: string }, options), command);
  }
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** parseArgs keeps the last of a repeated single-valued option; `--table a --table b` is a mistake, not a choice. */
function rejectRepeats(tokens: Token[], options: Options, command: string | undefined): void {
  const seen = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) {
      const values = [seen.get(t.name), t.value].filter((v) => v !== undefined).map((v) => `'${v}'`);
      throw new UsageError(
        `Option '--${t.name}' is given more than once${values.length === 2 ? ` (${values.join(' and ')})` : ''}; give it once`,
        command,
      );
    }
    seen.set(t.name, t.value);
  }
}

function rewrite(err: Error & { code?: string }, options: Options): string {
  const msg = err.message;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = /Unknown option '([^']+)'/.exec(msg)?.[1] ?? '?';
      return `Unknown option '${name}'`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = /Option '(-[\w-]+)/.exec(msg)?.[1] ?? '?';
      if (options[name.replace(/^--/, '')]?.type === 'boolean') return `Option '${name}' takes no value`;
      if (/ambiguous/.test(msg)) return `Option '${name}' needs a value (to pass a value starting with '-', write ${name}=VALUE)`;
      return `Option '${name}' needs a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(msg)?.[1] ?? '?';
      return `Unexpected argument '${arg}'`;
    }
    default:
      return msg.split('\n')[0] ?? msg;
  }
}

/** A required string option. */
export function required(value: string | undefined, name: string, what: string, command?: string): string {
  if (value === undefined || value === '') throw new UsageError(`Option '--${name}' is required: ${what}`, command);
  return value;
}

/** A positive number of seconds, as given to --duration or --progress. */
export function seconds(value: string | undefined, name: string, command?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`Option '--${name}' must be a positive number of seconds, got '${value}'`, command);
  return n;
}

/** An http(s) URL, returned without a trailing slash. */
export function url(value: string | undefined, name: string, command?: string): string | undefined {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`Option '--${name}' must be an http(s) URL, got '${value}'`, command);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`Option '--${name}' must be an http(s) URL, got '${value}'`, command);
  }
  return value.replace(/\/+$/, '');
}

/** A LaunchDarkly URI (--base-uri, --stream-uri): https, or http to a loopback address (checkServiceUri's rule). */
export function ldUri(value: string | undefined, name: string, command?: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return checkServiceUri(value, `Option '--${name}'`);
  } catch (err) {
    if (err instanceof ServiceUriError) throw new UsageError(err.message, command);
    throw err;
  }
}

/** DynamoDB's rule for table names: 3 to 255 letters, digits, '_', '-' or '.'. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** A DynamoDB table name, checked before any request so the error names the option rather than a ValidationException. */
export function tableName(value: string, name: string, command?: string, from = `Option '--${name}'`): string {
  if (!TABLE_NAME.test(value)) {
    throw new UsageError(`${from} must be a DynamoDB table name: 3 to 255 letters, digits, '_', '-' or '.', got '${value}'`, command);
  }
  return value;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(value: string, name: string, allowed: readonly T[], command?: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Option '--${name}' must be one of ${allowed.join(', ')}, got '${value}'`, command);
  }
  return value as T;
}
