import type { ApiKey, KeyStore } from "../../store/types.ts";

/**
 * Key lookups by hash, each trusted for at most `ttlMs`: a key disabled, revoked or rotated on any
 * replica is refused by every replica within that time, without a store read on every request.
 * Unknown hashes are cached too, so a flood of bad keys does not become a flood of store reads.
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
    const key = await this.keys.getKeyByHash(hash);
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(hash, { key, until: at + this.ttlMs });
    return key;
  }

  /** A change made on this replica is seen here at once. */
  forget(): void {
    this.entries.clear();
  }
}
