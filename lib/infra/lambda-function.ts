// LambdaFunction: how every function of this app is built. One handler file under functions/, bundled by the local
// esbuild into a minified ESM file with source maps; the newest Node.js runtime on arm64; X-Ray tracing; its own
// log group with a retention; and its own role carrying only what it is granted (no AWS managed policy: the
// function may write to its own log group and nothing else until a grant says so).
import { fileURLToPath } from 'node:url';
import { type Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing, type IDestination } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: handlers are referred to by path, never imported (runtime code never meets CDK code). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The newest Node.js runtime aws-cdk-lib knows (cdk-nag's L1 / LambdaLatestVersion check the same). */
export const RUNTIME = Runtime.NODEJS_24_X;

// Dependencies that are still CommonJS call require(); an ESM bundle has none unless it is made here.
const CJS_SHIM = "import { createRequire as __ldCreateRequire } from 'node:module'; const require = __ldCreateRequire(import.meta.url);";

export interface LambdaFunctionProps {
  /** The handler file, relative to functions/, e.g. 'poll.ts'. It exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** @default - no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** Async invocations (schedules): where failed events go, and how old they may get. @default - not invoked asynchronously */
  readonly asyncInvoke?: {
    readonly onFailure: IDestination;
    readonly retryAttempts: number;
    readonly maxEventAge: Duration;
  };
}

export class LambdaFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      // Stack traces point into the TypeScript sources rather than the minified bundle.
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.asyncInvoke && {
        onFailure: props.asyncInvoke.onFailure,
        retryAttempts: props.asyncInvoke.retryAttempts,
        maxEventAge: props.asyncInvoke.maxEventAge,
      }),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: CJS_SHIM,
        // The tested SDK version goes with the code, rather than whichever one the runtime ships this month.
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    if (props.asyncInvoke) {
      Validations.of(this.fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Failed asynchronous invocations go to an on-failure destination (an encrypted SQS queue, checked by ' +
          'Serverless-LambdaAsyncFailureDestination), ' +
          'which records the error with the event; a dead-letter queue as well would receive every failure a ' +
          'second time, without the error.',
      });
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords use "*", added by active tracing: these ' +
        'X-Ray actions support no resource-level permissions. ' +
        'Every other statement of this role names a specific log group, table, secret or queue.',
    });
  }
}
