// The webhook signing secret as the webhook function holds it: read from Secrets Manager, kept for five
// minutes, and re-read early, once, when a delivery's signature does not match a copy older than a minute,
// in case the secret was rotated. The one-minute rule is also the rate limit: however many forged requests
// arrive, a warm function reads the secret at most once a minute for them (and the function's reserved
// concurrency bounds how many warm functions there are), so a flood cannot hammer Secrets Manager.
import { readSecret } from './secrets.js';

/** How long a copy is used before it is read again. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;
/** A copy at least this old is re-read once after a signature mismatch; younger copies never are. */
export const REFRESH_AFTER_MISMATCH_MS = 60_000;

const WHAT = 'the webhook signing secret';

export class WebhookSecret {
  private value: string | undefined;
  private fetchedAt = 0;

  constructor(
    readonly secretId: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The secret, from the copy held unless it is older than SECRET_MAX_AGE_MS. */
  async current(): Promise<string> {
    if (this.value === undefined || this.now() - this.fetchedAt >= SECRET_MAX_AGE_MS) await this.fetch();
    return this.value!;
  }

  /**
   * After a signature mismatch: re-reads the secret if the copy held is at least REFRESH_AFTER_MISMATCH_MS old,
   * and returns the new value when it differs (the caller verifies once more with it); undefined otherwise.
   * A failed read throws (SecretError) and keeps the old copy.
   */
  async refreshAfterMismatch(): Promise<string | undefined> {
    if (this.value !== undefined && this.now() - this.fetchedAt < REFRESH_AFTER_MISMATCH_MS) return undefined;
    const before = this.value;
    // Counted as a read even if it fails, so a Secrets Manager outage plus a flood still means one read a minute.
    this.fetchedAt = this.now();
    await this.fetch();
    return this.value !== before ? this.value : undefined;
  }

  private async fetch(): Promise<void> {
    // Powertools' own cache is skipped: this class decides when to read, and must know the copy's age.
    this.value = await readSecret(this.secretId, WHAT, { forceFetch: true });
    this.fetchedAt = this.now();
  }
}
