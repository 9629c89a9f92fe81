// Helpers for the handler tests, which call each function's exported `handler` as Lambda would: an event, a
// context object, the environment variables the stack sets (read at import, so each test imports afresh), and
// stdout captured (Powertools writes logs and EMF metrics there) to check what was logged and that no secret
// ever was. Also a loopback router so several LaunchDarkly environments (one loopback server each, with its
// own SDK key) share one base URI, as they do at LaunchDarkly.
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { onTestFailed, vi } from 'vitest';
import type { LaunchDarklyServer } from './ld-server.js';
import { listenOnLoopback } from './loopback.js';

/** A Lambda context whose deadline is `remainingMs` from now. */
export function lambdaContext(functionName: string, remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An EventBridge scheduled event, optionally with a constant input merged in (as a schedule's input would be). */
export function scheduledEvent(input: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/ld-sync'],
    detail: {},
    ...input,
  };
}

export function functionUrlEvent(options: {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
}): LambdaFunctionURLEvent {
  const method = options.method ?? 'POST';
  const path = options.path ?? '/';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.us-east-1.on.aws', 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '52.0.0.1', userAgent: 'LaunchDarkly-Webhooks' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/**
 * Everything written to stdout and stderr until `restore()`. Kept out of the test run's output (a passing run
 * is quiet: the handlers' expected errors are checked, not printed), and printed if the test fails.
 */
export function captureOutput() {
  const chunks: string[] = [];
  const originalStderr = process.stderr.write.bind(process.stderr);
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (done) queueMicrotask(done);
      return true;
    }) as typeof stream.write),
  );
  onTestFailed(() => {
    originalStderr(`--- output captured during the failed test ---\n${chunks.join('')}--- end of captured output ---\n`);
  });
  const text = () => chunks.join('');
  const jsonLines = () =>
    text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .filter((l): l is Record<string, unknown> => l !== undefined);
  return {
    text,
    /** Powertools log entries (JSON lines with a level). */
    logs: () => jsonLines().filter((l) => typeof l.level === 'string'),
    /** EMF metric blobs. */
    metrics: () => jsonLines().filter((l) => '_aws' in l) as EmfBlob[],
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

export type EmfBlob = {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
} & Record<string, unknown>;

/** The value of `metric` in the blob for `environment` (summed over blobs), or undefined when never emitted. */
export function metricValue(blobs: EmfBlob[], metric: string, environment?: string): number | undefined {
  let total: number | undefined;
  for (const blob of blobs) {
    if (environment !== undefined && blob.environment !== environment) continue;
    if (environment === undefined && 'environment' in blob) continue;
    const value = blob[metric];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? (value as number[]) : [value as number];
    total = (total ?? 0) + values.reduce((a, b) => a + b, 0);
  }
  return total;
}

/** Sets environment variables (undefined deletes) and returns a function restoring the previous values. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  return () => apply(previous);
}

/** The base environment every sync function gets (the stack sets the same names), pointed at loopback servers. */
export function baseEnv(options: {
  tableName: string;
  environments: unknown[];
  ldUri: string;
  dynamodbEndpoint: string;
  secretsEndpoint: string;
}) {
  return {
    TABLE_NAME: options.tableName,
    LD_ENVIRONMENTS: JSON.stringify(options.environments),
    LD_BASE_URI: options.ldUri,
    LD_STREAM_URI: options.ldUri,
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.secretsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'ld-dynamodb-sync',
    POWERTOOLS_METRICS_NAMESPACE: 'LdDynamoDBSync',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    // Set by Lambda; Powertools emits the ColdStart metric only for on-demand initialisation.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  };
}

/** Imports a handler module afresh, so it reads the environment variables as a cold start would. */
export async function coldStart<T>(modulePath: string): Promise<T> {
  vi.resetModules();
  return (await import(modulePath)) as T;
}

/**
 * One base URI for several loopback LaunchDarkly servers: a request goes to the server whose SDK key its
 * Authorization header carries (streams included); an unknown key gets 401, as from LaunchDarkly. The array
 * is read on each request, so a test may change it (e.g. to rotate an environment's key).
 */
export async function startKeyRouter(servers: LaunchDarklyServer[]): Promise<{ uri: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    const target = servers.find((s) => s.sdkKey === req.headers.authorization);
    if (!target) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"code":"unauthorized"}');
      return;
    }
    const url = new URL(req.url ?? '/', target.baseUri);
    const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('error', () => res.destroy());
      up.on('close', () => {
        if (!up.complete) res.destroy();
      });
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const uri = await listenOnLoopback(server);
  return {
    uri,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { until } from './until.js';
