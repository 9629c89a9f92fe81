// The floor of the Lambda-sizes benchmark: @launchdarkly/node-server-sdk alone, initialised in daemon mode
// with no feature store of ours (its in-memory store). What any consumer of the SDK pays before its first
// evaluation, whatever store it reads; bundled with the same esbuild settings as the two consumers.
import { basicLogger, init } from '@launchdarkly/node-server-sdk';

export const initStartedAt = performance.timeOrigin + performance.now();

export const client = init(process.env.LD_SDK_KEY || 'sdk-daemon-mode', {
  useLdd: true,
  sendEvents: false,
  diagnosticOptOut: true,
  logger: basicLogger({ level: 'error' }),
});

export async function handler(): Promise<Record<string, unknown>> {
  return {};
}
