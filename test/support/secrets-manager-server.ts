// A loopback AWS Secrets Manager for tests: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.1 protocol
// for `secretsmanager.GetSecretValue`, so the real AWS SDK client (and Powertools Parameters above it) runs
// unchanged. Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER=<endpoint> (or `endpoint`).
// Secrets are looked up by name or by the ARN this server reports for them. Requests are recorded (operation
// and SecretId, never values) so tests can check caching. Signatures are not verified.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface SecretsManagerServerOptions {
  /** Initial secrets: name → SecretString. */
  secrets?: Record<string, string>;
  region?: string;
}

export interface SecretsManagerRequest {
  /** e.g. "GetSecretValue". */
  operation: string;
  secretId?: string;
}

export interface SecretsManagerServer {
  /** For AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly endpoint: string;
  readonly requests: SecretsManagerRequest[];
  /** GetSecretValue requests for a secret (by name or ARN). */
  fetchesOf(name: string): number;
  /** Creates or replaces a secret's value (a new version). */
  setSecret(name: string, value: string): void;
  deleteSecret(name: string): void;
  /** The ARN reported for a secret. */
  arnOf(name: string): string;
  /** The next `count` requests fail with this AWS error (e.g. 'AccessDeniedException', 400). */
  failNext(errorType: string, status?: number, count?: number): void;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';

export async function startSecretsManagerServer(options: SecretsManagerServerOptions = {}): Promise<SecretsManagerServer> {
  const region = options.region ?? 'us-east-1';
  const secrets = new Map<string, { value: string; versionId: string; created: number }>();
  const requests: SecretsManagerRequest[] = [];
  const failures: { type: string; status: number }[] = [];
  const arnOf = (name: string) =>
    `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-Lb${name.length.toString(36).padStart(4, '0')}`;
  const setSecret = (name: string, value: string) => secrets.set(name, { value, versionId: randomUUID(), created: Date.now() / 1000 });
  for (const [name, value] of Object.entries(options.secrets ?? {})) setSecret(name, value);
  const nameOf = (id: string) => (secrets.has(id) ? id : [...secrets.keys()].find((n) => arnOf(n) === id));

  function send(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
    res.end(JSON.stringify(body));
  }
  function error(res: ServerResponse, status: number, type: string, message: string): void {
    res.setHeader('x-amzn-ErrorType', type);
    send(res, status, { __type: type, message });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : target;
    let input: { SecretId?: unknown } = {};
    try {
      input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input) : {};
    } catch {
      return error(res, 400, 'SerializationException', 'request body is not JSON');
    }
    const secretId = typeof input.SecretId === 'string' ? input.SecretId : undefined;
    requests.push({ operation, secretId });
    const failure = failures.shift();
    if (failure) return error(res, failure.status, failure.type, `injected ${failure.type}`);
    if (req.method !== 'POST' || operation !== 'GetSecretValue') {
      return error(res, 400, 'UnknownOperationException', `loopback Secrets Manager does not implement ${JSON.stringify(target)}`);
    }
    if (!secretId) return error(res, 400, 'InvalidParameterException', 'SecretId is required');
    const name = nameOf(secretId);
    const secret = name === undefined ? undefined : secrets.get(name);
    if (name === undefined || !secret)
      return error(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    send(res, 200, {
      ARN: arnOf(name),
      Name: name,
      VersionId: secret.versionId,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.created,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, 'InternalServiceError', String(err));
    });
  });
  const origin = await listenOnLoopback(server);

  return {
    endpoint: origin,
    requests,
    fetchesOf: (name) =>
      requests.filter((r) => r.operation === 'GetSecretValue' && (r.secretId === name || r.secretId === arnOf(name))).length,
    setSecret,
    deleteSecret: (name) => void secrets.delete(name),
    arnOf,
    failNext(type, status = 400, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ type, status });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
