import type { ApiKey, KeyStore } from "../../store/types.ts";

/**
 * Key lookups by hash, each trusted for at most `ttlMs`: a key disabled, revoked or rotated on any
 * replica is refused by every replica within that time, without a store read on every request.
 * Unknown hashes are cached too, so a flood of bad keys does not become a flood of store reads.
 * While the store cannot be read, a key seen before keeps its last known state rather than locking
 * every caller out.
 */
export class KeyCache {
  private readonly entries = new Map<string, { key: ApiKey | undefined; until: number }>();

  constructor(
    private readonly keys: KeyStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async byHash(hash: string): Promise<ApiKey | undefined> {
    const at = this.now();
    const cached = this.entries.get(hash);
    if (cached && cached.until > at) return cached.key;
    let key: ApiKey | undefined;
    try {
      key = await this.keys.getKeyByHash(hash);
    } catch (error) {
      if (cached) return cached.key;
      throw error;
    }
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(hash, { key, until: at + this.ttlMs });
    return key;
  }

  /** A change made on this replica is seen here at once. */
  forget(): void {
    this.entries.clear();
  }
}
