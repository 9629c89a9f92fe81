// What the sync functions build once per cold start and reuse across invocations: the DynamoDB client, one
// store per environment (same table, its own prefix), and one polling client per environment (it keeps the
// last ETag, so a warm function's next poll of an unchanged environment costs a 304). SDK keys come from
// Secrets Manager (cached); when LaunchDarkly rejects a cached key, it is read again once, in case it was
// rotated, before the failure is reported. Every DynamoDB request is bounded by the invocation's remaining
// time (deadline.ts); every LaunchDarkly request by the polling client's timeout and middy's abort signal.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpStatusError } from '../../lib/launchdarkly/errors.js';
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { StreamingClient } from '../../lib/launchdarkly/streaming.js';
import { DynamoDBFlagStore } from '../../lib/store/index.js';
import {
  runPollSync,
  runStreamSync,
  type EnvironmentConfig,
  type StreamSyncReport,
  type SyncProgress,
  type SyncReport,
} from '../../lib/sync/index.js';
import type { SyncConfig } from './config.js';
import { DeadlineHttpHandler, invocationDeadline } from './deadline.js';
import { coreLogger, logger } from './observability.js';
import { readSecret } from './secrets.js';
import { StaleWatch, type StaleCounts } from './stale-watch.js';

export class SyncRuntime {
  readonly dynamodb: DynamoDBClient;
  private readonly stores = new Map<string, DynamoDBFlagStore>();
  private readonly pollers = new Map<string, { sdkKey: string; poller: PollingClient }>();

  constructor(readonly config: SyncConfig) {
    this.dynamodb = new DynamoDBClient({
      ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }),
      requestHandler: new DeadlineHttpHandler(invocationDeadline, 'DynamoDB'),
    });
    for (const env of config.environments) {
      this.stores.set(
        env.name,
        new DynamoDBFlagStore({ tableName: config.tableName, prefix: env.prefix, client: this.dynamodb, logger: coreLogger(env.name) }),
      );
    }
  }

  store(env: EnvironmentConfig): DynamoDBFlagStore {
    return this.stores.get(env.name)!;
  }

  sdkKey(env: EnvironmentConfig, forceFetch = false): Promise<string> {
    return readSecret(env.sdkKeySecretId, `the SDK key of environment ${JSON.stringify(env.name)}`, { forceFetch });
  }

  /** One poll sync of `env`; `source` is recorded in the table ('webhook' when a webhook asked for it). */
  async poll(env: EnvironmentConfig, source: 'poll' | 'webhook', signal: AbortSignal): Promise<SyncReport & StaleCounts> {
    const watch = new StaleWatch(this.store(env), env.name);
    const run = async () =>
      runPollSync({
        store: watch,
        poller: this.poller(env, await this.sdkKey(env)),
        source,
        signal,
        logger: coreLogger(env.name),
      });
    const report = await this.withKeyRefresh(env, run);
    // While rows stay ahead of LaunchDarkly, the next poll fetches the full body again rather than taking a 304:
    // it re-checks the rows, so ItemsStale is measured by every sync and its alarm sees the condition persist.
    if (watch.counts.stale > 0) this.pollers.get(env.name)?.poller.forgetEtag();
    return { ...report, deletesSkipped: watch.counts.deletesSkipped };
  }

  /** One stream session of `env`, until `signal` or `durationMs`. */
  async stream(
    env: EnvironmentConfig,
    signal: AbortSignal,
    durationMs: number | undefined,
    onProgress: (p: SyncProgress) => void,
  ): Promise<StreamSyncReport & StaleCounts> {
    const watch = new StaleWatch(this.store(env), env.name);
    const run = async () =>
      runStreamSync({
        store: watch,
        streamer: new StreamingClient({ sdkKey: await this.sdkKey(env), streamUri: this.config.streamUri }),
        signal,
        durationMs,
        logger: coreLogger(env.name),
        onProgress,
      });
    const report = await this.withKeyRefresh(env, run);
    return { ...report, deletesSkipped: watch.counts.deletesSkipped };
  }

  private poller(env: EnvironmentConfig, sdkKey: string): PollingClient {
    const cached = this.pollers.get(env.name);
    if (cached?.sdkKey === sdkKey) return cached.poller;
    const poller = new PollingClient({ sdkKey, baseUri: this.config.baseUri });
    this.pollers.set(env.name, { sdkKey, poller });
    return poller;
  }

  private async withKeyRefresh<T>(env: EnvironmentConfig, run: () => Promise<T>): Promise<T> {
    const cachedKey = await this.sdkKey(env);
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof HttpStatusError && (err.status === 401 || err.status === 403))) throw err;
      const freshKey = await this.sdkKey(env, true);
      if (freshKey === cachedKey) throw err;
      logger.info({
        message: 'LaunchDarkly rejected the cached SDK key; the secret has changed since, retrying with the new key',
        environment: env.name,
      });
      // The refreshed key is in the secrets cache now, so the second run uses it.
      return run();
    }
  }
}
