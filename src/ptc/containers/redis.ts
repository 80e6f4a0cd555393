import type { ChainableCommander } from "ioredis";
import type { Logger } from "../../../lib/log.ts";
import { RedisConnection } from "../../redis.ts";
import { type ContainerRecord, type ContainerStore, containerRecord } from "./container-store.ts";

export interface RedisContainerStoreOptions {
  url: string;
  commandTimeoutMs: number;
  /** Prepended to every key, so deployments (or tests) can share one Redis. */
  keyPrefix?: string;
  log?: Logger | undefined;
  /** Told of each Redis error (metrics): see RedisConnectionOptions. */
  onConnectionError?: ((connection: string) => void) | undefined;
}

/**
 * Containers shared by every replica on one Redis, so a container paused on one resumes on another.
 * A record is one JSON string expiring at its expiresAt; each owner has a sorted set of its
 * container ids scored by expiry, which countLive trims to the live ones. While Redis does not
 * answer, every method rejects at once (src/redis.ts): the caller decides what that means for a request.
 */
export class RedisContainerStore implements ContainerStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisContainerStoreOptions) {
    this.#prefix = options.keyPrefix ?? "abp:ptc:";
    this.#connection = new RedisConnection({ url: options.url, commandTimeoutMs: options.commandTimeoutMs, name: "PTC containers", log: options.log, onError: options.onConnectionError });
  }

  async get(id: string): Promise<ContainerRecord | undefined> {
    const json = await (await this.#connection.client()).get(this.#recordKey(id));
    return readRecord(json)[0];
  }

  async put(record: ContainerRecord): Promise<void> {
    const expiresAtMs = Date.parse(record.expiresAt);
    if (expiresAtMs <= Date.now()) return this.delete(record.id);
    const ownerKey = this.#ownerKey(record.owner);
    const redis = await this.#connection.client();
    await replies(
      redis
        .multi()
      .set(this.#recordKey(record.id), JSON.stringify(record), "PXAT", expiresAtMs)
      .zadd(ownerKey, expiresAtMs, record.id)
      // The owner's set lives as long as its longest-lived container: NX sets a first expiry, GT only ever extends it.
      .pexpireat(ownerKey, expiresAtMs, "NX")
        .pexpireat(ownerKey, expiresAtMs, "GT"),
    );
  }

  async delete(id: string): Promise<void> {
    const record = await this.get(id);
    const redis = await this.#connection.client();
    if (record === undefined) {
      await redis.del(this.#recordKey(id));
      return;
    }
    await replies(redis.multi().del(this.#recordKey(id)).zrem(this.#ownerKey(record.owner), id));
  }

  async countLive(owner: string): Promise<number> {
    const ownerKey = this.#ownerKey(owner);
    const redis = await this.#connection.client();
    const [, count] = await replies(redis.multi().zremrangebyscore(ownerKey, "-inf", Date.now()).zcard(ownerKey));
    return Number(count);
  }

  /** SCANs the record keys (an operator's page, not a request path), then reads them in one MGET per batch. */
  async listLive(): Promise<ContainerRecord[]> {
    const redis = await this.#connection.client();
    const records: ContainerRecord[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", this.#recordKey("*"), "COUNT", 500);
      cursor = next;
      if (keys.length > 0) records.push(...(await redis.mget(...keys)).flatMap(readRecord));
    } while (cursor !== "0");
    return records.sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  #recordKey(id: string): string {
    return `${this.#prefix}container:${id}`;
  }

  #ownerKey(owner: string): string {
    return `${this.#prefix}owner:${owner}`;
  }
}

/** A stored record, or none when it expired meanwhile or cannot be read: another replica (maybe another version) wrote it. */
function readRecord(json: string | null): ContainerRecord[] {
  if (json === null) return [];
  const parsed = containerRecord.safeParse(JSON.parse(json));
  return parsed.success ? [parsed.data] : [];
}

/** Runs a MULTI and gives its replies, throwing the first command's error (ioredis resolves with them). */
async function replies(multi: ChainableCommander): Promise<unknown[]> {
  const results = (await multi.exec()) ?? [];
  const failed = results.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
  return results.map(([, result]) => result);
}
