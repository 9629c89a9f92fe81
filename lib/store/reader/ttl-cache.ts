// A map whose entries expire: the reader's one cache (items by id, whole kinds by name, the read hints).
// Expired entries are dropped when looked up, so a cache the SDK stops asking about holds only what it had.
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();

  /** The entry if it has not expired (wrapped, so a cached null or undefined is still a hit). */
  get(key: K): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
