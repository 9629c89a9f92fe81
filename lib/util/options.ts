// The one rule every options object follows: an unknown key is an error, so a typo never falls back to a
// default silently. Each layer throws its own error class with this text (middy's "Unknown option 'x'").
// Dependency-free.

/**
 * The message for the first key of `options` not in `known` ("Unknown option 'x'; expected one of a, b"), or
 * undefined when every key is known. `path` prefixes nested options ("retry." gives 'retry.x').
 */
export function unknownOption(options: object, known: Iterable<string>, path = ''): string | undefined {
  const names = [...known];
  const unknown = Object.keys(options).find((name) => !names.includes(name));
  return unknown === undefined ? undefined : `Unknown option '${path}${unknown}'; expected one of ${names.join(', ')}`;
}
