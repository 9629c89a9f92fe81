// The CDK app (`npx cdk synth`, `npx cdk deploy`): takes the configuration from cdk.json / -c context and the
// account and region from the CLI, and creates the stack. It has no resources of its own; see lib/infra/.
import { createApp, regionNotice } from '../lib/infra/app.js';
import { ConfigError } from '../lib/infra/config.js';

// The CLI sets these from the profile or AWS_REGION; without them the stack is environment-agnostic.
const account = process.env.CDK_DEFAULT_ACCOUNT?.trim() || undefined;
const region = process.env.CDK_DEFAULT_REGION?.trim() || undefined;

// A default region is said out loud (stderr), not taken silently.
const notice = regionNotice(process.env);
if (notice) console.error(notice);

try {
  const { app } = createApp({
    ...((account || region) && { env: { ...(account && { account }), ...(region && { region }) } }),
  });
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    // A configuration mistake is the user's to fix: the message says what and where, a stack trace adds nothing.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
