// Helpers for the CDK tests: the context users get from cdk.json (feature flags included, so tests synthesize
// what `cdk synth` does), app construction with or without esbuild bundling, and a small evaluator for the
// Fn::Join strings CloudFormation receives (LD_ENVIRONMENTS is JSON with secret ARNs spliced in).
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, type CreateAppOptions } from '../../lib/infra/app.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const IMPORTED_SDK_KEY_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ld/staging/sdk-key-AbCdEf`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:flag-alerts`;

/**
 * Context with every part of the stack present: two environments (one with a secret the stack creates, one
 * imported by ARN), streaming, the example consumer and an alarm topic.
 */
export const EVERY_PART = {
  environments: [
    { name: 'production', prefix: 'prod' },
    { name: 'staging', prefix: 'stg', sdkKeySecretArn: IMPORTED_SDK_KEY_ARN },
  ],
  streaming: true,
  pollRateMinutes: 2,
  stalenessMinutes: 10,
  consumerExample: { flagKey: 'new-checkout', environment: 'staging' },
  alarmTopicArn: TOPIC_ARN,
};

/** The context of the repository's cdk.json. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

export interface BuildOptions {
  /** Context on top of cdk.json's. */
  context?: Record<string, unknown>;
  /**
   * Bundle the handlers with esbuild and run CloudFormation's built-in template validation, as `cdk synth` does.
   * Off, a synth takes a second instead of many: for tests about configuration variants, not about bundles.
   */
  full?: boolean;
  env?: CreateAppOptions['env'] | null;
  nag?: boolean;
}

export function buildApp(options: BuildOptions = {}) {
  const full = options.full ?? false;
  return createApp({
    appProps: {
      context: { ...cdkJsonContext(), ...(full ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
      ...(full ? {} : { builtinCloudFormationValidation: false }),
    },
    ...(options.env !== null && { env: options.env ?? { account: ACCOUNT, region: REGION } }),
    nag: options.nag ?? true,
  });
}

/** A light synth for variant tests: no bundling, no cdk-nag. */
export function templateOf(context: Record<string, unknown>, env?: BuildOptions['env']): Template {
  const { stack } = buildApp({ context, nag: false, ...(env !== undefined && { env }) });
  return Template.fromStack(stack);
}

type Json = unknown;

/** Evaluates Fn::Join (and Ref / Fn::GetAtt as placeholders) into the string CloudFormation would produce. */
export function joined(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, Json>;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, Json[]];
      return parts.map(joined).join(sep);
    }
    if ('Ref' in v) return `{Ref:${String(v.Ref)}}`;
    if ('Fn::GetAtt' in v) return `{GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

/** Every statement of the IAM policies attached to the role with this logical ID. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as Json[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statements: Statement[], service: string): string[] {
  return statements
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .filter((a) => a.startsWith(`${service}:`))
    .sort();
}

export function resourcesOf(statements: Statement[], service: string): Json[] {
  const all = statements
    .filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith(`${service}:`)))
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
  // Each resource once, however many statements name it.
  return [...new Map(all.map((r) => [JSON.stringify(r), r])).values()];
}

/** The logical ID of the only resource of this type matching the properties (found, never hard-coded). */
export function onlyId(template: Template, type: string, props?: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, props ? { Properties: props } : undefined));
  if (ids.length !== 1)
    throw new Error(`expected exactly one ${type}${props ? ` matching ${JSON.stringify(props)}` : ''}, found ${ids.length}`);
  return ids[0]!;
}

/** The logical ID of the role of the function whose Description contains `text`. */
export function roleOfFunction(template: Template, text: string): string {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => String(f.Properties.Description).includes(text));
  if (fns.length !== 1) throw new Error(`expected one function described with ${JSON.stringify(text)}, found ${fns.length}`);
  return (fns[0]!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
}

export function functionDescribed(template: Template, text: string): { id: string; props: Record<string, Json> } {
  const entries = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
    String(f.Properties.Description).includes(text),
  );
  if (entries.length !== 1) throw new Error(`expected one function described with ${JSON.stringify(text)}, found ${entries.length}`);
  const [id, f] = entries[0]!;
  return { id, props: f.Properties };
}

/** What the writer sends (lib/store/writer.ts, batch-writes.ts), in actionsOf's sorted order. */
export const SYNC_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:Query',
] as const;
