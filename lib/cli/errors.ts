// Errors of the command-line edge, and the one function that turns any failure into the single line a user
// sees. Store and LaunchDarkly errors are recognised by their stable `name`s (not `instanceof`), so this
// module depends on no other part of the project and a failure's cause chain is read the same way everywhere.

/** A failure of the command line itself: a wrong, missing or conflicting option. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command whose --help to point at, e.g. "sync"; undefined for the top level. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A failure with a message already written for the user. Exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Where a failure happened, to say so in the message. */
export interface FailureContext {
  table?: string;
  /** The DynamoDB endpoint, or undefined for AWS's regional endpoint. */
  endpoint?: string;
  region?: string;
  /** What to suggest when the table does not exist. */
  missingTableHint?: string;
  /** Error lines the command's logger already printed: a failure listing only those says so instead of repeating them. */
  errorsShown?: Set<string>;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  status?: number;
  url?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The chain err, err.cause, err.cause.cause…, bounded (cause chains can be cyclic). */
export function causeChain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && out.length < 8 && !out.includes(cur as ErrorLike)) {
    out.push(cur as ErrorLike);
    cur = (cur as ErrorLike).cause;
  }
  return out;
}

/** The network error code (ECONNREFUSED, ENOTFOUND, …) anywhere in the cause chain, if any. */
export function networkCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    // AggregateError (happy-eyeballs connect attempts) keeps the codes in `errors`.
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner))
      for (const i of inner) {
        const c = (i as ErrorLike)?.code;
        if (c && NETWORK_CODES.has(c)) return c;
      }
  }
  return undefined;
}

function where(ctx: FailureContext): string {
  return ctx.endpoint ? `at ${ctx.endpoint}` : `in region ${ctx.region ?? '(from the AWS configuration)'}`;
}

/**
 * One line describing a DynamoDB failure of a request the CLI made itself (the table check), with what to do.
 * Returns undefined if `err` is not recognisably a DynamoDB/AWS failure.
 */
export function describeDynamoDBError(err: unknown, ctx: FailureContext): string | undefined {
  const e = (err ?? {}) as ErrorLike;
  const table = ctx.table ? `'${ctx.table}'` : '';
  if (e.name === 'ResourceNotFoundException') {
    return (
      `DynamoDB table ${table} does not exist ${where(ctx)}; ` +
      `${ctx.missingTableHint ?? 'create it with --create-table, or deploy the stack and pass its table name'}`
    );
  }
  const code = networkCode(err);
  if (code) return `Could not reach DynamoDB ${where(ctx)} (${code}); is it running and is the endpoint right?`;
  if (/^Region is missing/.test(e.message ?? '')) {
    return (
      'No AWS region is configured: set AWS_REGION (e.g. AWS_REGION=us-east-1), pass --region, or set a ' +
      'region in your AWS profile; for DynamoDB Local pass --dynamodb-endpoint'
    );
  }
  const notDynamo = ctx.endpoint ? notDynamoDB(e) : undefined;
  if (notDynamo) {
    return (
      `${ctx.endpoint} did not answer as DynamoDB does (${notDynamo}); --dynamodb-endpoint must be the URL ` +
      `of a DynamoDB API, e.g. DynamoDB Local at http://localhost:8000`
    );
  }
  if (e.name === 'TimeoutError') return `DynamoDB ${where(ctx)} did not answer in time (${e.message})`;
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message ?? '')) {
    return (
      'No AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass ' +
      '--dynamodb-endpoint for DynamoDB Local'
    );
  }
  if (e.name === 'UnrecognizedClientException' || e.name === 'InvalidSignatureException' || e.name === 'ExpiredTokenException') {
    return `DynamoDB ${where(ctx)} rejected the AWS credentials (${e.name}: ${e.message})`;
  }
  if (e.name === 'AccessDeniedException') return `Access to DynamoDB table ${table} was denied (${e.message})`;
  if (e.$metadata) return `DynamoDB ${where(ctx)} failed: ${e.name}: ${e.message}`;
  return undefined;
}

/**
 * What shows that an endpoint is not DynamoDB: the AWS SDK could not read its answer as a DynamoDB response
 * (a web page, another API's JSON, a 404). Undefined for a real DynamoDB error.
 */
function notDynamoDB(e: ErrorLike): string | undefined {
  const status = e.$metadata?.httpStatusCode;
  const answered = status ? `HTTP ${status}` : 'an answer';
  if (e.name === 'UnknownError') return `${answered} without a DynamoDB error code`;
  if (/Deserialization error|Unexpected token|is not valid JSON|Expected .* JSON/i.test(e.message ?? ''))
    return `${answered} that is not DynamoDB's JSON`;
  if (status && status !== 400 && status < 500 && !e.name?.endsWith('Exception')) return `${answered} (${e.name})`;
  return undefined;
}

/** The one-line message for any failure of a command. Never includes secrets (the caller also redacts). */
export function describeFailure(err: unknown, ctx: FailureContext): string {
  const e = (err ?? {}) as ErrorLike;
  if (err instanceof UsageError || err instanceof CliError) return oneLine(e.message ?? String(err));

  // LaunchDarkly: an HTTP status. 401/403 mean the SDK key is wrong (or revoked); say so plainly.
  for (const c of causeChain(err)) {
    if (c.name === 'HttpStatusError' && typeof c.status === 'number') {
      const from = c.url ? ` from ${c.url}` : '';
      if (c.status === 401 || c.status === 403) {
        return (
          `LaunchDarkly rejected the SDK key (HTTP ${c.status}${from}); check that LD_SDK_KEY holds the ` +
          `server-side SDK key of the environment`
        );
      }
      return oneLine(c.message ?? `LaunchDarkly answered HTTP ${c.status}${from}`);
    }
  }
  if (e.name === 'NetworkError') {
    const code = networkCode(err);
    return oneLine(`Could not reach LaunchDarkly${code && !(e.message ?? '').includes(code) ? ` (${code})` : ''}: ${e.message}`);
  }
  if (['PayloadError', 'LaunchDarklyError', 'SyncError', 'NoDataError', 'EnvironmentConfigError'].includes(e.name ?? '')) {
    const code = networkCode(err);
    return oneLine(code && !(e.message ?? '').includes(code) ? `${e.message} (${code})` : (e.message ?? String(err)));
  }
  // Store errors already say what, where and which keys.
  const problems = (err as { problems?: { message: string }[] }).problems;
  if (e.name === 'PartialInitError' && problems?.length && problems.every((p) => ctx.errorsShown?.has(p.message))) {
    return `Init stored every valid item but rejected ${problems.length} (named above)`;
  }
  if (['StoreError', 'ItemValidationError', 'ItemTooLargeError', 'WriteFailedError', 'PartialInitError'].includes(e.name ?? '')) {
    const aws = e.name === 'WriteFailedError' ? describeDynamoDBError(e.cause, ctx) : undefined;
    return oneLine(aws ? `${e.message}; ${aws}` : (e.message ?? String(err)));
  }
  const aws = describeDynamoDBError(err, ctx);
  if (aws) return oneLine(aws);
  if (err instanceof Error) {
    const code = networkCode(err);
    return oneLine(
      `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`,
    );
  }
  return oneLine(String(err));
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
