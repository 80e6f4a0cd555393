/** How often expired records are swept at most (they are invisible as soon as they expire; this frees them). */
const sweepIntervalMs = 60_000;

/**
 * Records that vanish at their `expiresAt`, in this process's memory: the core of the in-memory stores whose
 * Redis twins expire keys (admin sessions, PTC containers). Records go in and come out as copies, as Redis
 * would give them: a caller's changes stay its own until it puts them.
 */
export class ExpiringRecords<T extends { id: string; expiresAt: string }> {
  readonly #records = new Map<string, { record: T; expiresAtMs: number }>();
  #lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.#lastSweep = now();
  }

  get(id: string): T | undefined {
    const entry = this.#records.get(id);
    if (entry === undefined || entry.expiresAtMs <= this.now()) return undefined;
    return structuredClone(entry.record);
  }

  put(record: T): void {
    this.#sweepNowAndThen();
    this.#records.set(record.id, { record: structuredClone(record), expiresAtMs: Date.parse(record.expiresAt) });
  }

  delete(id: string): void {
    this.#records.delete(id);
  }

  /** Every unexpired record, soonest expiry first. */
  live(): T[] {
    const now = this.now();
    const live = [...this.#records.values()].filter(({ expiresAtMs }) => expiresAtMs > now);
    return live.sort((a, b) => a.expiresAtMs - b.expiresAtMs).map(({ record }) => structuredClone(record));
  }

  clear(): void {
    this.#records.clear();
  }

  #sweepNowAndThen(): void {
    const now = this.now();
    if (now - this.#lastSweep < sweepIntervalMs) return;
    this.#lastSweep = now;
    for (const [id, { expiresAtMs }] of this.#records) if (expiresAtMs <= now) this.#records.delete(id);
  }
}
