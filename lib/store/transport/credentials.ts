// Credentials for the lean transport, in the order the AWS SDK looks for them: credentials given in the
// configuration, then the environment (what Lambda gives a function: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), then the SDK's default chain (container, profile, SSO, web identity, instance metadata),
// which is imported only when the environment has none: on Lambda it is never loaded.
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials expire; they are fetched again shortly before. */
  expiration?: Date;
}

export type CredentialProvider = () => Promise<Credentials>;

/** Refresh this long before expiry, so a request signed now is not rejected in flight. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export function fromEnvironment(env: NodeJS.ProcessEnv): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** The provider the transport signs with; `given` is clientConfig.credentials (an object or a provider). */
export function credentialProvider(given: Credentials | CredentialProvider | undefined, env: NodeJS.ProcessEnv): CredentialProvider {
  if (typeof given === 'function') return memoize(given);
  if (given) return () => Promise.resolve(given);
  const fromEnv = fromEnvironment(env);
  if (fromEnv) return () => Promise.resolve(fromEnv);
  return memoize(async () => {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    return (await defaultProvider()()) as Credentials;
  });
}

/** One fetch at a time; the result kept until shortly before it expires (forever when it does not). */
function memoize(provider: CredentialProvider): CredentialProvider {
  let current: Promise<Credentials> | undefined;
  return () => {
    if (current) {
      const cached = current;
      current = cached.then(
        (c) => (c.expiration && c.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS ? provider() : c),
        () => provider(),
      );
      return current;
    }
    current = provider();
    return current;
  };
}
