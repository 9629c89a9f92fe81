// Lambda: the full sync of one LaunchDarkly environment. The stack deploys one poll function per environment,
// each with its own schedule, its own SDK-key secret, write access to its own key prefix only, and its own
// deadline: many environments, or one slow one, can never push another past its deadline, and a flaw in one
// function's path reaches one environment's data. Invoked by its schedule (EventBridge), and by the webhook
// function with {"environment": "<name>", "trigger": "webhook"} (asynchronously: Lambda queues the event while a
// sync runs, reserved concurrency being 1). A run where nothing changed writes nothing.
//
// The event is trusted only to pick one of the function's own configured environments (the webhook builds it,
// never from a delivery's body); with several environments configured (a local set-up) it must name one.
import type { Context } from 'aws-lambda';
import { sleep } from '../lib/util/sleep.js';
import type { SyncReport } from '../lib/sync/index.js';
import { loadSyncConfig } from './shared/config.js';
import { numberEnv } from './shared/env.js';
import { wrapHandler } from './shared/middy.js';
import { SyncRuntime } from './shared/runtime.js';
import { eventEnvironment, recordedSync } from './shared/sync-run.js';
import type { StaleCounts } from './shared/stale-watch.js';

const runtime = new SyncRuntime(loadSyncConfig());
/** LaunchDarkly's guide waits about 2 s after a webhook before fetching, so its caches hold the change. */
const webhookDelayMs = numberEnv('WEBHOOK_FETCH_DELAY_MS', 2000, { min: 0, max: 30_000, unit: 'milliseconds' })!;

/** A scheduled event (EventBridge), or the webhook's {"environment","trigger":"webhook"}. */
export interface PollEvent {
  environment?: string;
  trigger?: 'webhook';
  [key: string]: unknown;
}

export type PollResult = { environment: string } & SyncReport & StaleCounts;

async function poll(event: PollEvent, _context: Context, { signal }: { signal: AbortSignal }): Promise<PollResult> {
  // A failure reaches the on-failure destination and the function's error metrics, redacted (shared/middy.ts).
  const env = eventEnvironment(event, runtime.config.environments, 'poll event', ' (one sync per invocation)');
  const source = triggerOf(event) === 'webhook' ? 'webhook' : 'poll';
  if (source === 'webhook' && webhookDelayMs > 0) await sleep(webhookDelayMs, signal);
  const messages = { succeeded: `${source} sync succeeded`, failed: `${source} sync failed` };
  const report = await recordedSync(env.name, messages, () => runtime.poll(env, source, signal));
  return { environment: env.name, ...report };
}

function triggerOf(event: PollEvent): PollEvent['trigger'] {
  const trigger = event !== null && typeof event === 'object' ? event.trigger : undefined;
  if (trigger !== undefined && trigger !== 'webhook')
    throw new TypeError(`poll event: "trigger" must be "webhook" or absent, got ${JSON.stringify(trigger)}`);
  return trigger;
}

export const handler = wrapHandler(poll, { stopBeforeDeadlineMs: 5_000 });
