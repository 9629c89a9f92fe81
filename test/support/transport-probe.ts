// A child process for the transport tests: connects to LaunchDarkly (a loopback test server) the way the sync
// does, once, and prints one JSON line saying what happened and how much memory it took. It runs as its own
// process because NODE_EXTRA_CA_CERTS is read only at process start, and so that memory is measured apart
// from the test runner. Input: one JSON argument {mode: 'stream' | 'poll', uri, sdkKey, durationMs?, maxEventBytes?}.
import { PollingClient } from '../../lib/launchdarkly/polling.js';
import { runStreamSession } from '../../lib/launchdarkly/streaming.js';

interface ProbeInput {
  mode: 'stream' | 'poll';
  uri: string;
  sdkKey: string;
  durationMs?: number;
  maxEventBytes?: number;
}

export interface ProbeResult {
  /** Stream events received, or 1 for a poll that returned data. */
  events: number;
  flags: string[];
  endedBy?: string;
  reconnects?: number;
  error?: { name: string; message: string; cause?: string };
  /** The stream session's warnings and errors, as logged. */
  warnings: string[];
  baselineRssBytes: number;
  peakRssBytes: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ProbeInput;
const warnings: string[] = [];
const keep = (message: unknown) => void (warnings.length < 20 && warnings.push(String(message)));
const logger = { debug() {}, info() {}, warn: keep, error: keep };
const baseline = process.memoryUsage.rss();
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);

function describeError(err: unknown): ProbeResult['error'] {
  const e = err as Error & { cause?: Error & { code?: string; cause?: Error & { code?: string } } };
  const cause = e.cause?.cause ?? e.cause;
  return { name: e.name, message: e.message, ...(cause && { cause: `${cause.message} ${cause.code ?? ''}`.trim() }) };
}

async function probe(): Promise<Omit<ProbeResult, 'baselineRssBytes' | 'peakRssBytes' | 'warnings'>> {
  if (input.mode === 'poll') {
    try {
      const result = await new PollingClient({ sdkKey: input.sdkKey, baseUri: input.uri }).fetchAll();
      return { events: 1, flags: result.notModified ? [] : Object.keys(result.data.flags) };
    } catch (err) {
      return { events: 0, flags: [], error: describeError(err) };
    }
  }
  const flags: string[] = [];
  let events = 0;
  const session = await runStreamSession({
    sdkKey: input.sdkKey,
    streamUri: input.uri,
    durationMs: input.durationMs ?? 2000,
    ...(input.maxEventBytes && { maxEventBytes: input.maxEventBytes }),
    retry: { initialDelayMs: 100, maxDelayMs: 400 },
    logger,
    onEvent: async (event) => {
      events++;
      if (event.type === 'put') flags.push(...Object.keys(event.data.flags));
    },
  });
  return {
    events,
    flags,
    endedBy: session.endedBy,
    reconnects: session.reconnects,
    ...(session.error && { error: describeError(session.error) }),
  };
}

const result = await probe();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
process.stdout.write(`${JSON.stringify({ ...result, warnings, baselineRssBytes: baseline, peakRssBytes: peak } satisfies ProbeResult)}\n`);
