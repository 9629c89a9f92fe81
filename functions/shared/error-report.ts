// Errors made safe to report: what a handler logs about a failure, and the error it lets out of Lambda. Both
// pass through `redact` (secrets.ts), so a secret value read during the invocation never reaches a log line,
// the on-failure destination or the caller, even if some message quoted it.
import { redact } from './secrets.js';

/** One line for a log or an error: name, message and the causes' names and messages, redacted. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    if (cur instanceof Error) {
      parts.push(`${cur.name}: ${cur.message}`);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return redact(parts.join(' <- caused by: ').replace(/\s*\n\s*/g, ' '));
}

/**
 * An error safe to let out of a handler: same name, message redacted, no cause chain (Lambda and log
 * processors may print one), and a stack that carries only the redacted message.
 */
export function safeError(err: unknown): Error {
  const source = err instanceof Error ? err : new Error(String(err));
  const safe = new Error(redact(source.message));
  safe.name = source.name;
  safe.stack = redact(source.stack ?? `${source.name}: ${source.message}`);
  for (const key of ['environments', 'status'] as const) {
    const value = (source as unknown as Record<string, unknown>)[key];
    if (value !== undefined) (safe as unknown as Record<string, unknown>)[key] = value;
  }
  return safe;
}
