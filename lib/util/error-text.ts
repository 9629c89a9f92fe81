// How an error reads in one line of a message or log: "Name: message", or the thrown value as text when it is
// not an Error. Dependency-free, so every layer (the reader included) can use it. It does not redact: the
// handlers' functions/shared/error-report.ts adds that on top for anything that leaves a Lambda.

/** "Name: message" for an Error, String(value) for anything else thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
