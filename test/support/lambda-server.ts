// A loopback AWS Lambda for tests: an HTTP server on 127.0.0.1 answering the Invoke API
// (`POST /2015-03-31/functions/<name>/invocations`, REST-JSON) as Lambda does for an asynchronous invoke:
// 202 Accepted with an empty body for InvocationType Event, so the real AWS SDK client runs unchanged. Point the
// SDK at it with AWS_ENDPOINT_URL_LAMBDA=<endpoint>. Every invoke is recorded (function, invocation type,
// payload); a test hands the payloads to the target handler itself, as Lambda's asynchronous queue would.
// Faults on demand: the next invokes answer an AWS error. Signatures are not verified.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface RecordedInvoke {
  functionName: string;
  invocationType: string;
  payload: unknown;
}

export interface LambdaServer {
  /** For AWS_ENDPOINT_URL_LAMBDA. */
  readonly endpoint: string;
  readonly invokes: RecordedInvoke[];
  /** The next `count` invokes fail with this AWS error (e.g. 'ResourceNotFoundException', 404). */
  failNext(errorType: string, status?: number, count?: number): void;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startLambdaServer(): Promise<LambdaServer> {
  const invokes: RecordedInvoke[] = [];
  const failures: { type: string; status: number }[] = [];

  function error(res: ServerResponse, status: number, type: string, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type, 'x-amzn-RequestId': randomUUID() });
    res.end(JSON.stringify({ Type: 'User', message }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = INVOKE_PATH.exec(new URL(req.url ?? '/', 'http://loopback').pathname);
    if (req.method !== 'POST' || !match)
      return error(res, 404, 'UnknownOperationException', `loopback Lambda does not implement ${req.method} ${req.url}`);
    const failure = failures.shift();
    if (failure) return error(res, failure.status, failure.type, `injected ${failure.type}`);
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const text = Buffer.concat(chunks).toString('utf8');
    let payload: unknown;
    try {
      payload = text === '' ? undefined : JSON.parse(text);
    } catch {
      return error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    invokes.push({ functionName: decodeURIComponent(match[1]!), invocationType, payload });
    if (invocationType !== 'Event')
      return error(res, 400, 'InvalidParameterValueException', 'loopback Lambda answers asynchronous (Event) invokes only');
    res.writeHead(202, { 'x-amzn-RequestId': randomUUID() });
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, 'ServiceException', String(err));
    });
  });
  const endpoint = await listenOnLoopback(server);
  return {
    endpoint,
    invokes,
    failNext(type, status = 400, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ type, status });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
