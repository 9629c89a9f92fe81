// Evaluates flags the way a consumer Lambda does: @launchdarkly/node-server-sdk v9 in daemon mode reading the
// table through ReadOnlyFeatureStore, and formats each result with its reason for the local run.
// Also holds the demo contexts that exercise examples/environment.json (targets, rules, segments, rollouts,
// prerequisites, off flags).
import { init, type LDContext, type LDEvaluationDetail, type LDEvaluationReason, type LDLogger } from '@launchdarkly/node-server-sdk';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ReadOnlyFeatureStore } from '../store/reader.js';
import type { Output } from './output.js';

export interface LabelledContext {
  label: string;
  context: LDContext;
}

/**
 * Contexts chosen so that, on the example environment, each demo flag shows several different outcomes.
 * Labels start with the context keys, so a user can evaluate the same contexts from their own code.
 */
export const DEMO_CONTEXTS: LabelledContext[] = [
  {
    label: 'user-alice (staff, NZ, pro)',
    context: {
      kind: 'user',
      key: 'user-alice',
      name: 'Alice',
      email: 'alice@example.com',
      country: 'NZ',
      appVersion: '2.4.0',
      plan: 'pro',
      platform: 'ios',
    },
  },
  {
    label: 'user-bob (US, app 1.8.2)',
    context: {
      kind: 'user',
      key: 'user-bob',
      name: 'Bob',
      email: 'bob@gmail.com',
      country: 'US',
      appVersion: '1.8.2',
      plan: 'free',
      platform: 'web',
    },
  },
  {
    label: 'user-carol (beta tester, AU)',
    context: {
      kind: 'user',
      key: 'user-carol',
      name: 'Carol',
      email: 'carol@fastmail.com',
      country: 'AU',
      appVersion: '3.0.1',
      plan: 'free',
      platform: 'android',
    },
  },
  {
    label: 'user-dave + org-globex (DE)',
    context: {
      kind: 'multi',
      user: { key: 'user-dave', name: 'Dave', email: 'dave@globex.com', country: 'DE', appVersion: '2.2.0', plan: 'enterprise' },
      organization: { key: 'org-globex', name: 'Globex', plan: 'enterprise' },
    },
  },
];

/** The example flags the local run evaluates by default (when present in the data). */
export const DEMO_FLAGS = [
  'new-checkout',
  'one-click-buy',
  'saved-payment-methods',
  'dark-mode',
  'pricing-tier',
  'checkout-banner',
  'api-rate-limit',
  'recommendations-model',
  'legacy-reports',
  'holiday-theme',
];

export interface Evaluation {
  flag: string;
  label: string;
  value: unknown;
  variationIndex: number | null;
  reason: LDEvaluationReason;
}

const LABEL_WIDTH = 30;

/** The parts of a flag the explanations look at. */
interface FlagShape {
  rules?: { clauses?: Clause[]; rollout?: unknown }[];
  fallthrough?: { rollout?: { kind?: string } };
}
interface Clause {
  contextKind?: string;
  attribute?: string;
  op?: string;
  values?: unknown[];
  negate?: boolean;
}

/** A clause in words: `email endsWith "@example.com"`, `in segment beta-testers`, `organization plan in ["team","enterprise"]`. */
export function describeClause(c: Clause): string {
  const values = c.values ?? [];
  if (c.op === 'segmentMatch') return `${c.negate ? 'not ' : ''}in segment ${values.join(' or ')}`;
  const kind = c.contextKind && c.contextKind !== 'user' ? `${c.contextKind} ` : '';
  return `${kind}${c.attribute ?? ''} ${c.negate ? 'not ' : ''}${c.op} ${JSON.stringify(values.length === 1 ? values[0] : values)}`;
}

/** What the reason means, in words; with the flag, also what the matched rule tests. */
export function describeReason(reason: LDEvaluationReason, variationIndex: number | null | undefined, flagItem?: object): string {
  const flag = flagItem as FlagShape | undefined;
  const experiment = reason.inExperiment ? ', in experiment' : '';
  switch (reason.kind) {
    case 'OFF':
      return variationIndex === null || variationIndex === undefined
        ? 'OFF: flag is off and has no off variation, so your code’s default'
        : 'OFF: flag is off, serving its off variation';
    case 'FALLTHROUGH': {
      const rollout = flag?.fallthrough?.rollout;
      const how = !rollout
        ? experiment
        : rollout.kind === 'experiment'
          ? reason.inExperiment
            ? ', in experiment'
            : ', experiment rollout'
          : `, percentage rollout${experiment}`;
      return `FALLTHROUGH: no target or rule matched, default rule${how}`;
    }
    case 'TARGET_MATCH':
      return 'TARGET_MATCH: individually targeted';
    case 'RULE_MATCH': {
      const index = reason.ruleIndex ?? 0;
      const rule = flag?.rules?.[index];
      const what = rule?.clauses?.length ? `: ${rule.clauses.map(describeClause).join(' and ')}` : '';
      return `RULE_MATCH: rule ${index + 1}${what}${rule?.rollout ? ', percentage rollout' : ''}${experiment}`;
    }
    case 'PREREQUISITE_FAILED':
      return `PREREQUISITE_FAILED: prerequisite '${reason.prerequisiteKey}' not met, serving the off variation`;
    case 'ERROR':
      return `ERROR: ${reason.errorKind ?? 'unknown'}`;
    default:
      return reason.kind;
  }
}

/**
 * One printed line: context, value, reason (explained from `flag` when given). The local-run test builds the
 * same lines from an in-memory SDK.
 */
export function formatEvaluationLine(
  label: string,
  detail: Pick<LDEvaluationDetail, 'value' | 'reason'> & { variationIndex?: number | null },
  flag?: object,
): string {
  return (
    `  ${label.padEnd(LABEL_WIDTH)} → ${JSON.stringify(detail.value) ?? 'undefined'}  ` +
    `(${describeReason(detail.reason, detail.variationIndex, flag)})`
  );
}

/** A logger for the SDK that shows its warnings and errors on `out` and nothing else. */
export function sdkLogger(out: Output): LDLogger {
  const write =
    (level: string) =>
    (...args: unknown[]) =>
      out.write(`sdk ${level}: ${args.map(String).join(' ')}\n`);
  return { debug() {}, info() {}, warn: write('warning'), error: write('error') };
}

export interface EvaluateOptions {
  tableName: string;
  prefix?: string;
  clientConfig: DynamoDBClientConfig;
  flags: string[];
  contexts: LabelledContext[];
  logger?: LDLogger;
}

/**
 * Evaluates every flag for every context through the SDK in daemon mode, as a consumer Lambda would: the SDK
 * key is a placeholder because in daemon mode the SDK never calls LaunchDarkly.
 */
export async function evaluateFromTable(opts: EvaluateOptions): Promise<Evaluation[]> {
  const client = init('sdk-local-placeholder', {
    useLdd: true,
    featureStore: ReadOnlyFeatureStore(opts.tableName, { prefix: opts.prefix, clientConfig: opts.clientConfig }),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: opts.logger ?? { debug() {}, info() {}, warn() {}, error() {} },
  });
  try {
    await client.waitForInitialization({ timeout: 10 });
    const out: Evaluation[] = [];
    for (const flag of opts.flags) {
      for (const { label, context } of opts.contexts) {
        const d = await client.variationDetail(flag, context, null);
        out.push({ flag, label, value: d.value, variationIndex: d.variationIndex ?? null, reason: d.reason });
      }
    }
    return out;
  } finally {
    client.close();
  }
}
