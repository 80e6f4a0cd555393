import type { ContainerRecord, ContainerStore } from "./container-store.ts";

/** How often expired records are swept at most (they are invisible as soon as they expire; this frees them). */
const sweepIntervalMs = 60_000;

/** Containers of one process: enough for a single replica; replicas share redis.ts instead. */
export class MemoryContainerStore implements ContainerStore {
  readonly #records = new Map<string, { record: ContainerRecord; expiresAtMs: number }>();
  #lastSweep = Date.now();

  constructor(private readonly now: () => number = Date.now) {}

  async get(id: string): Promise<ContainerRecord | undefined> {
    const entry = this.#records.get(id);
    if (entry === undefined || entry.expiresAtMs <= this.now()) return undefined;
    // A copy, as Redis would give: the caller's changes stay its own until it puts them.
    return structuredClone(entry.record);
  }

  async put(record: ContainerRecord): Promise<void> {
    this.#sweepNowAndThen();
    this.#records.set(record.id, { record: structuredClone(record), expiresAtMs: Date.parse(record.expiresAt) });
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async countLive(owner: string): Promise<number> {
    const now = this.now();
    let live = 0;
    for (const { record, expiresAtMs } of this.#records.values()) if (record.owner === owner && expiresAtMs > now) live++;
    return live;
  }

  async listLive(): Promise<ContainerRecord[]> {
    const now = this.now();
    const live = [...this.#records.values()].filter(({ expiresAtMs }) => expiresAtMs > now);
    return live.sort((a, b) => a.expiresAtMs - b.expiresAtMs).map(({ record }) => structuredClone(record));
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
