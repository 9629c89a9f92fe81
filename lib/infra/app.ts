// The app builder behind bin/app.ts, also used in-process by the tests: reads the configuration from context,
// creates the stack and registers cdk-nag (AWS Solutions and Serverless packs), so every `cdk synth` is checked
// and fails on an unacknowledged error.
import { App, Validations, type AppProps, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError } from './config.js';
import { configFromContext } from './context.js';
import { LdDynamoDBSyncStack } from './stack.js';

export const DEFAULT_STACK_NAME = 'LdDynamoDBSync';
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export interface CreateAppOptions {
  /** Passed to `new App` (context, outdir, ...). */
  readonly appProps?: AppProps;
  /** Account and region; undefined leaves the stack environment-agnostic. */
  readonly env?: Environment;
  /** Register the cdk-nag packs. @default true */
  readonly nag?: boolean;
  /** Show the rules' explanations in cdk-nag's findings. @default false */
  readonly verboseNag?: boolean;
}

/**
 * What to tell the user about the region, or nothing. The CDK CLI falls back to us-east-1 when neither the
 * environment (AWS_REGION, AWS_DEFAULT_REGION) nor a profile names a region, and passes that on as if chosen:
 * say so, since a table in the wrong region is a migration later. `env` is the app's process environment.
 */
export function regionNotice(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const region = env.CDK_DEFAULT_REGION?.trim();
  const named = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || env.AWS_PROFILE?.trim();
  if (named) return undefined;
  if (!region)
    return 'ld-dynamodb-sync: no AWS region is known, so the stack is synthesized environment-agnostic; set AWS_REGION to choose one';
  if (region !== 'us-east-1') return undefined;
  return (
    'ld-dynamodb-sync: no AWS region is configured (AWS_REGION, AWS_DEFAULT_REGION or AWS_PROFILE), so ' +
    'the CDK assumes us-east-1; set AWS_REGION to deploy elsewhere'
  );
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: LdDynamoDBSyncStack } {
  const app = new App(options.appProps);
  const contextKeys = Object.keys(app.node.getAllContext());
  const config = configFromContext((key) => app.node.tryGetContext(key), contextKeys);
  const stackName = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  if (typeof stackName !== 'string' || !STACK_NAME.test(stackName)) {
    throw new ConfigError(
      `Invalid configuration: context "stackName" must start with a letter and hold up to 128 letters, ` +
        `digits and '-', got ${JSON.stringify(stackName)}`,
    );
  }
  const stack = new LdDynamoDBSyncStack(app, stackName, {
    config,
    ...(options.env && { env: options.env }),
    description: 'ld-dynamodb-sync: LaunchDarkly flags kept in DynamoDB for Lambda functions to evaluate without calling LaunchDarkly',
  });
  if (options.nag ?? true) {
    const props = { verbose: options.verboseNag ?? false };
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, props), new ServerlessChecks(app, props));
  }
  return { app, stack };
}
