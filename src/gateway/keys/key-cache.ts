import type { ApiKey, KeyStore } from "./api-key.ts";
import { type StoreOutage, storeUnavailable } from "../store-outage.ts";

/**
 * Key lookups by hash, each trusted for at most `ttlMs`: a key disabled, revoked or rotated on any
 * replica is refused by every replica within that time, without a store read on every request.
 * Unknown hashes are cached too, so a flood of bad keys does not become a flood of store reads.
 * When an entry expires under load, one read refreshes it and the concurrent requests wait for that
 * one. While the store cannot be read, a hash looked up before keeps its last known answer (a key,
 * or no key) rather than locking every caller out; a hash never looked up is refused with 529, as
 * whether it is a key is unknown. During a known outage the store is only probed (`StoreOutage`).
 */
export class KeyCache {
  private readonly entries = new Map<string, { key: ApiKey | undefined; until: number }>();
  private readonly loading = new Map<string, Promise<ApiKey | undefined>>();

  constructor(
    private readonly keys: KeyStore,
    private readonly outage: StoreOutage,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  byHash(hash: string): Promise<ApiKey | undefined> {
    const cached = this.entries.get(hash);
    if (cached && cached.until > this.now()) return Promise.resolve(cached.key);
    let load = this.loading.get(hash);
    if (!load) {
      load = this.load(hash, cached).finally(() => this.loading.delete(hash));
      this.loading.set(hash, load);
    }
    return load;
  }

  /** `stale`: the expired entry, if any; a hash known to match no key is last known state too. */
  private async load(hash: string, stale: { key: ApiKey | undefined } | undefined): Promise<ApiKey | undefined> {
    const read = this.outage.mayCall() ? await this.outage.watch(this.keys.getKeyByHash(hash)).then((key) => ({ key }), () => undefined) : undefined;
    if (!read) {
      if (stale) return stale.key;
      throw storeUnavailable("this API key cannot be looked up");
    }
    const { key } = read;
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(hash, { key, until: this.now() + this.ttlMs });
    return key;
  }

  /** A change made on this replica is seen here at once. */
  forget(): void {
    this.entries.clear();
  }
}
