import { ExpiringRecords } from "../../expiring-records.ts";
import type { ContainerRecord, ContainerStore } from "./container-store.ts";

/** Containers of one process: enough for a single replica; replicas share redis.ts instead. */
export class MemoryContainerStore implements ContainerStore {
  readonly #records: ExpiringRecords<ContainerRecord>;

  constructor(now: () => number = Date.now) {
    this.#records = new ExpiringRecords(now);
  }

  async get(id: string): Promise<ContainerRecord | undefined> {
    return this.#records.get(id);
  }

  async put(record: ContainerRecord): Promise<void> {
    this.#records.put(record);
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async countLive(owner: string): Promise<number> {
    return this.#records.live().filter((record) => record.owner === owner).length;
  }

  async listLive(): Promise<ContainerRecord[]> {
    return this.#records.live();
  }

  async close(): Promise<void> {
    this.#records.clear();
  }
}
