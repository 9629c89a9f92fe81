// Lambda: the scheduled full sync. One poll of LaunchDarkly per environment (all of them in turn, or the one
// the event names), each into its own prefix of the table. An environment that fails does not stop the
// others; the invocation then fails at the end, naming them, so the failure reaches the function's
// on-failure destination and its error metrics. A run where nothing changed writes nothing.
import type { Context } from 'aws-lambda';
import { selectEnvironments, type SyncReport } from '../lib/sync/index.js';
import { loadSyncConfig } from './shared/config.js';
import { EnvironmentsFailedError } from './shared/errors.js';
import { wrapHandler } from './shared/middy.js';
import { logger, recordSyncMetrics } from './shared/observability.js';
import { SyncRuntime } from './shared/runtime.js';
import { describeError, safeError } from './shared/secrets.js';

const runtime = new SyncRuntime(loadSyncConfig());

/** A scheduled event (EventBridge), optionally with {"environment": "<name>"} as its input. */
export interface PollEvent {
  environment?: string;
  [key: string]: unknown;
}

export interface PollResult {
  environments: ({ environment: string } & SyncReport)[];
}

async function poll(event: PollEvent, _context: Context, { signal }: { signal: AbortSignal }): Promise<PollResult> {
  try {
    const environments = selectEnvironments(runtime.config.environments, requestedEnvironment(event), 'poll event');
    const results: PollResult['environments'] = [];
    const failures: { name: string; reason: string }[] = [];
    for (const env of environments) {
      if (signal.aborted) {
        failures.push({ name: env.name, reason: 'not started: the invocation reached its deadline' });
        continue;
      }
      try {
        const report = await runtime.poll(env, 'poll', signal);
        recordSyncMetrics(env.name, { failed: false, report });
        logger.info({ message: 'poll sync succeeded', environment: env.name, ...report });
        results.push({ environment: env.name, ...report });
      } catch (err) {
        const reason = describeError(err);
        recordSyncMetrics(env.name, { failed: true });
        logger.error({ message: `poll sync failed: ${reason}`, environment: env.name });
        failures.push({ name: env.name, reason });
      }
    }
    if (failures.length > 0) {
      const names = failures.map((f) => f.name);
      throw new EnvironmentsFailedError(
        `Poll sync failed for ${failures.length} of ${environments.length} environment(s): ${failures.map((f) => `${f.name} (${f.reason})`).join('; ')}`,
        names,
      );
    }
    return { environments: results };
  } catch (err) {
    throw safeError(err);
  }
}

function requestedEnvironment(event: PollEvent): string | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const name = event.environment;
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`poll event: "environment" must be the name of a configured environment, got ${JSON.stringify(name)}`);
  }
  return name;
}

export const handler = wrapHandler(poll, { stopBeforeDeadlineMs: 5_000 });
