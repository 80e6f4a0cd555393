import type { SessionRecord, SessionStore } from "./session-store.ts";

/** How often expired records are swept at most (they are invisible as soon as they expire; this frees them). */
const sweepIntervalMs = 60_000;

/** Sessions of one process: enough for a single replica; replicas share redis-session-store.ts instead. */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, { record: SessionRecord; expiresAtMs: number }>();
  #lastSweep: number;

  constructor(private readonly now: () => number = Date.now) {
    this.#lastSweep = now();
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const entry = this.#records.get(id);
    if (entry === undefined || entry.expiresAtMs <= this.now()) return undefined;
    return structuredClone(entry.record);
  }

  async put(record: SessionRecord): Promise<void> {
    this.#sweepNowAndThen();
    this.#records.set(record.id, { record: structuredClone(record), expiresAtMs: Date.parse(record.expiresAt) });
  }

  async refresh(record: SessionRecord): Promise<void> {
    if (await this.get(record.id)) await this.put(record);
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async close(): Promise<void> {
    this.#records.clear();
  }

  #sweepNowAndThen(): void {
    const now = this.now();
    if (now - this.#lastSweep < sweepIntervalMs) return;
    this.#lastSweep = now;
    for (const [id, { expiresAtMs }] of this.#records) if (expiresAtMs <= now) this.#records.delete(id);
  }
}
