import { ExpiringRecords } from "../../expiring-records.ts";
import type { SessionRecord, SessionStore } from "./session-store.ts";

/** Sessions of one process: enough for a single replica; replicas share redis-session-store.ts instead. */
export class MemorySessionStore implements SessionStore {
  readonly #records: ExpiringRecords<SessionRecord>;

  constructor(now: () => number = Date.now) {
    this.#records = new ExpiringRecords(now);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.#records.get(id);
  }

  async put(record: SessionRecord): Promise<void> {
    this.#records.put(record);
  }

  async refresh(record: SessionRecord): Promise<void> {
    if (this.#records.get(record.id)) this.#records.put(record);
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async close(): Promise<void> {
    this.#records.clear();
  }
}
