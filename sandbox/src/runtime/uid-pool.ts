/**
 * Hands out a distinct host uid per live sandbox from a dedicated range.
 *
 * Why: RLIMIT_NPROC is counted per *real uid*. If every sandbox ran as the same
 * uid, one sandbox's fork bomb would use up the process budget of all the
 * others. A private uid also means no sandbox can signal or ptrace another.
 */
export class UidPool {
  private readonly inUse = new Set<number>();
  private next = 0;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {}

  allocate(): number {
    for (let tried = 0; tried < this.size; tried++) {
      const uid = this.base + ((this.next + tried) % this.size);
      if (!this.inUse.has(uid)) {
        this.inUse.add(uid);
        // Round-robin so a just-released uid is not reused immediately.
        this.next = (uid - this.base + 1) % this.size;
        return uid;
      }
    }
    throw new Error(`no free sandbox uid in [${this.base}, ${this.base + this.size})`);
  }

  release(uid: number): void {
    this.inUse.delete(uid);
  }

  contains(uid: number): boolean {
    return uid >= this.base && uid < this.base + this.size;
  }

  /** A uid of the range that this pool has not handed out: whatever runs under it is not ours. */
  isUnclaimed(uid: number): boolean {
    return this.contains(uid) && !this.inUse.has(uid);
  }
}
