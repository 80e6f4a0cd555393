import type { Logger } from "../../../lib/log.ts";
import { RedisConnection } from "../../redis.ts";
import { type SessionRecord, type SessionStore, sessionRecordSchema } from "./session-store.ts";

export interface RedisSessionStoreOptions {
  url: string;
  commandTimeoutMs: number;
  /** Prepended to every key, so deployments (or tests) can share one Redis. */
  keyPrefix?: string;
  log?: Logger | undefined;
}

/**
 * Admin sessions shared by every replica on one Redis: signed in on one, honoured (and signed out)
 * on all. A record is one JSON string expiring at its expiresAt. While Redis does not answer, every
 * method rejects at once (src/redis.ts): the admin pages and API answer 5xx rather than let anyone in.
 */
export class RedisSessionStore implements SessionStore {
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.keyPrefix ?? "abp:admin-session:";
    this.#connection = new RedisConnection({ url: options.url, commandTimeoutMs: options.commandTimeoutMs, name: "admin sessions", log: options.log });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const json = await (await this.#connection.client()).get(this.#prefix + id);
    if (json === null) return undefined;
    // Another replica (maybe another version) wrote it: a record we cannot read is as good as gone.
    const parsed = sessionRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  }

  async put(record: SessionRecord): Promise<void> {
    const expiresAtMs = Date.parse(record.expiresAt);
    if (expiresAtMs <= Date.now()) return this.delete(record.id);
    await (await this.#connection.client()).set(this.#prefix + record.id, JSON.stringify(record), "PXAT", expiresAtMs);
  }

  async refresh(record: SessionRecord): Promise<void> {
    const expiresAtMs = Date.parse(record.expiresAt);
    if (expiresAtMs <= Date.now()) return this.delete(record.id);
    // XX: only over a record still there, atomically, so a sign-out on another replica is never undone.
    await (await this.#connection.client()).set(this.#prefix + record.id, JSON.stringify(record), "PXAT", expiresAtMs, "XX");
  }

  async delete(id: string): Promise<void> {
    await (await this.#connection.client()).del(this.#prefix + id);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}
