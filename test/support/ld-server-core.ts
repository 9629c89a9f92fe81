// The state and the answers behind the loopback LaunchDarkly of ld-server.ts: the data served and its
// version, the request log, injected faults, requests held while stalled, and the open streams. It answers
// requests handed to it but knows nothing of listening, ports or TLS: ld-server.ts owns the HTTP server and
// the API tests use, and delegates every call here.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pathFor } from '../../lib/launchdarkly/parse.js';
import type { DataKindName, FullDataSet, VersionedItem } from '../../lib/store/types.js';
import type { RecordedRequest } from './ld-server.js';

/** A request accepted while stalled, answered when the stall ends. */
interface HeldRequest {
  req: IncomingMessage;
  res: ServerResponse;
  record: RecordedRequest;
}

export class LoopbackLaunchDarkly {
  /** Every request received, in order (the API's `requests` is this very array). */
  readonly requests: RecordedRequest[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly held: HeldRequest[] = [];
  /** Emits 'change' when a request arrives or a stream opens or closes: what the waitFor* methods wait on. */
  private readonly changes = new EventEmitter();
  private data: FullDataSet;
  /** Bumped on every change to the data; the ETag is made from it. */
  private version = 1;
  /** The data as JSON (and gzipped, once asked for) for one version, so a poll storm serializes it once. */
  private cache: { version: number; json: string; gzip?: Buffer } | undefined;
  private failures: number[] = [];
  private persistentFailure: number | null = null;
  private stalled = false;
  private rawPollBody: string | null = null;

  constructor(
    private readonly sdkKey: string,
    private readonly envId: string,
    data: FullDataSet,
  ) {
    this.data = structuredClone(data);
    this.changes.setMaxListeners(0);
  }

  // Requests: record each one, then answer it now or hold it while stalled.

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const record: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } };
    this.requests.push(record);
    this.changes.emit('change');
    // Drain any request body so the connection stays usable.
    req.resume();
    if (this.stalled) {
      this.held.push({ req, res, record });
      return;
    }
    this.handle(req, res, record);
  }

  requestsTo(pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.split('?')[0] === pathname);
  }

  /** Injected failures come first, then routing, method and SDK key, as a real front end would check them. */
  private handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const failure = this.failures.length > 0 ? this.failures.shift()! : this.persistentFailure;
    if (failure !== null && failure !== undefined) {
      return answer(res, record, failure, JSON.stringify({ code: 'injected', message: `injected failure ${failure}` }));
    }
    const pathname = new URL(req.url ?? '/', 'http://loopback').pathname;
    if (pathname !== '/sdk/latest-all' && pathname !== '/all') {
      return answer(res, record, 404, JSON.stringify({ code: 'not_found', message: `no route ${pathname}` }));
    }
    if (req.method !== 'GET') return answer(res, record, 405, JSON.stringify({ code: 'method_not_allowed' }));
    if (req.headers.authorization !== this.sdkKey) {
      return answer(res, record, 401, JSON.stringify({ code: 'unauthorized', message: 'Invalid SDK key' }));
    }
    if (pathname === '/all') return this.openStream(res, record);
    this.poll(req, res, record);
  }

  // Polling: `GET /sdk/latest-all`.

  private poll(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    if (this.rawPollBody !== null) return answer(res, record, 200, this.rawPollBody);
    const tag = `"v${this.version}"`;
    if (req.headers['if-none-match'] === tag) {
      record.status = 304;
      res.writeHead(304, { ETag: tag });
      return void res.end();
    }
    const body = this.serialized();
    const headers: Record<string, string> = { ETag: tag, 'X-LD-EnvID': this.envId, Vary: 'Accept-Encoding' };
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body.gzip ??= gzipSync(body.json);
      record.status = 200;
      record.gzip = true;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...headers });
      return void res.end(body.gzip);
    }
    record.gzip = false;
    answer(res, record, 200, body.json, headers);
  }

  private serialized(): { version: number; json: string; gzip?: Buffer } {
    if (this.cache?.version !== this.version) this.cache = { version: this.version, json: JSON.stringify(this.data) };
    return this.cache;
  }

  // The data served.

  currentData(): FullDataSet {
    return structuredClone(this.data);
  }

  setData(data: FullDataSet): void {
    this.data = structuredClone(data);
    this.version++;
  }

  // Streaming: `GET /all`, and the events sent to every open stream.

  private openStream(res: ServerResponse, record: RecordedRequest): void {
    record.status = 200;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-LD-EnvID': this.envId,
    });
    res.socket?.setNoDelay(true);
    res.write(this.putFrame());
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      this.changes.emit('change');
    });
    this.changes.emit('change');
  }

  private putFrame(): string {
    return frame('put', `{"path":"/","data":${this.serialized().json}}`);
  }

  /** Writes to every open stream; nothing while stalled, so read timeouts see silence. */
  private broadcast(text: string): void {
    if (this.stalled) return;
    for (const res of this.streams) res.write(text);
  }

  sendPut(data?: FullDataSet): void {
    if (data) this.setData(data);
    this.broadcast(this.putFrame());
  }

  sendPatch(kind: DataKindName, item: VersionedItem): void {
    const text = JSON.stringify(item);
    const map = kind === 'features' ? this.data.flags : this.data.segments;
    // Stored as a parsed copy so the test can go on changing its own object.
    map[item.key] = JSON.parse(text) as VersionedItem;
    this.version++;
    this.broadcast(frame('patch', `{"path":${JSON.stringify(pathFor(kind, item.key))},"data":${text}}`));
  }

  sendDelete(kind: DataKindName, key: string, version: number): void {
    delete (kind === 'features' ? this.data.flags : this.data.segments)[key];
    this.version++;
    this.broadcast(frame('delete', JSON.stringify({ path: pathFor(kind, key), version })));
  }

  sendRaw(eventName: string, data: string): void {
    this.broadcast(frame(eventName, data));
  }

  sendComment(text = 'heartbeat'): void {
    this.broadcast(`:${text}\n\n`);
  }

  openStreams(): number {
    return this.streams.size;
  }

  // Faults on demand.

  dropStreams(): void {
    for (const res of this.streams) res.socket?.destroy();
  }

  endStreams(): void {
    for (const res of this.streams) res.end();
  }

  failNext(status: number, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  setFailure(status: number | null): void {
    this.persistentFailure = status;
    if (status === null) this.failures = [];
  }

  stall(on: boolean): void {
    this.stalled = on;
    if (on) return;
    for (const { req, res, record } of this.held.splice(0)) {
      if (!res.destroyed && !req.socket.destroyed) this.handle(req, res, record);
    }
  }

  setRawPollBody(body: string | null): void {
    this.rawPollBody = body;
  }

  /** Destroys the sockets of open streams and held requests, so closing the server does not wait on them. */
  destroyConnections(): void {
    for (const res of this.streams) res.socket?.destroy();
    for (const { res } of this.held.splice(0)) res.socket?.destroy();
  }

  // Waiting, on the 'change' events rather than by polling.

  waitForStreams(count = 1, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.streams.size >= count, `${count} open stream(s)`, timeoutMs);
  }

  waitForRequests(pathname: string, count: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.requestsTo(pathname).length >= count, `${count} request(s) to ${pathname}`, timeoutMs);
  }

  private waitFor(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.changes.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changes.off('change', check);
        reject(new Error(`loopback LaunchDarkly: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.changes.on('change', check);
    });
  }
}

function answer(res: ServerResponse, record: RecordedRequest, status: number, body: string, headers: Record<string, string> = {}): void {
  record.status = status;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
}

/** One SSE event; multi-line data goes out as several `data:` lines, as the SSE format requires. */
function frame(eventName: string, data: string): string {
  return `event: ${eventName}\n${data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}
