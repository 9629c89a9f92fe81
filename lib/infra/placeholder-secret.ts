// A Secrets Manager secret the stack creates for a value only LaunchDarkly issues (an SDK key, the webhook
// signing secret): it starts with a random placeholder Secrets Manager generates at deploy time, so no secret
// ever appears in the template; syncs fail (401 from LaunchDarkly) until the real value is put.
import { Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export function placeholderSecret(scope: Construct, id: string, description: string): Secret {
  const secret = new Secret(scope, id, {
    description: `ld-dynamodb-sync: ${description}`,
    generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The value is issued by LaunchDarkly (SDK key or webhook signing secret) and can only be rotated ' +
      'there; Secrets Manager has no rotation function for it. ' +
      'Rotate it in LaunchDarkly and put the new value with "aws secretsmanager put-secret-value" ' +
      '(docs/security.md); the functions pick it up within minutes.',
  });
  return secret;
}
