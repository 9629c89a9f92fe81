// WebhookReceiver: LaunchDarkly's webhook as a thin verifier behind a Function URL. LaunchDarkly cannot sign
// requests with SigV4, so the URL has no IAM auth; every delivery must carry X-LD-Signature, the HMAC of its body
// under the webhook secret, which the handler checks before anything else (a request without a valid one gets 401
// and touches nothing). Because the URL is public, the function holds nothing worth stealing: it may read the
// webhook secret and invoke the environments' poll functions asynchronously, and nothing else: no SDK key, no
// table access. The poll function then syncs with its own, per-environment permissions.
//
// Why an asynchronous invoke rather than a queue: Lambda's asynchronous invoke already is a durable queue (kept
// until the target's reserved concurrency frees up, up to the event's maximum age, then to the failure queue),
// the permission is one action on named function ARNs, and there is no extra resource to secure and watch. The
// payload is built by the handler ({"environment","trigger"}), never from a delivery's body.
import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentSync } from './environment-sync.js';
import { LambdaFunction } from './lambda-function.js';

/** Deliveries verified at once: the handler takes milliseconds, and the limit bounds what a flood costs. */
export const WEBHOOK_CONCURRENCY = 5;

export interface WebhookReceiverProps {
  readonly secret: ISecret;
  readonly environments: readonly EnvironmentSync[];
  /** Variables for Powertools (service name, metrics namespace). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

/** The webhook function (construct id 'Webhook' keeps its Function URL across updates) and its URL. */
export class WebhookReceiver extends LambdaFunction {
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    const syncFunctions = Object.fromEntries(props.environments.map((e) => [e.settings.name, e.poll.fn.functionName]));
    super(scope, id, {
      entry: 'webhook.ts',
      description: "ld-dynamodb-sync: verifies LaunchDarkly webhook deliveries and hands each to its environment's poll function",
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: {
        ...props.environment,
        WEBHOOK_SECRET_ID: props.secret.secretArn,
        SYNC_FUNCTIONS: Stack.of(scope).toJsonString(syncFunctions),
      },
      logRetention: props.logRetention,
      reservedConcurrentExecutions: WEBHOOK_CONCURRENCY,
    });
    props.secret.grantRead(this.role);
    // The unqualified ARNs only (no ":*" for versions and aliases): the handler invokes by function name.
    Grant.addToPrincipal({
      grantee: this.role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: props.environments.map((e) => e.poll.fn.functionArn),
    });

    this.url = this.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    new CfnOutput(scope, 'WebhookUrl', {
      value: this.url.url,
      description: 'Register this URL (or <url><environment name> for one environment) as a signed webhook in LaunchDarkly',
    });
    new CfnOutput(scope, 'WebhookSecretArn', {
      value: props.secret.secretArn,
      description: 'Secret to put the LaunchDarkly webhook signing secret in',
    });
    Validations.of(this).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The webhook is only invoked synchronously, through its Function URL, so a dead-letter queue never receives anything; ' +
        'LaunchDarkly sees the error status and retries the delivery, and the poll functions it hands off to ' +
        'have their own failure destination.',
    });
  }
}
