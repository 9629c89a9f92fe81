// The one logger type every layer takes (store, sources, sync core, CLI, handlers): four methods, so
// LaunchDarkly's LDLogger, Powertools' Logger and console all fit without an adapter. Dependency-free.

/** The minimal logger interface; LaunchDarkly's LDLogger and Powertools' Logger both fit it. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** A logger that says nothing: the default wherever a logger is optional. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
