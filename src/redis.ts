import Redis from "ioredis";
import type { Logger } from "../lib/log.ts";
import { Outage } from "./outage.ts";

/**
 * The one way the proxy connects to Redis (rate limits now, shared caches later), so every user
 * fails the same way when Redis is away: fast. A command waits at most the command timeout for its
 * reply; while the connection is down it fails at once instead of queueing (nothing piles up, and
 * nothing is sent late on behalf of a request that has already been answered); reconnection runs in
 * the background, backing off to at most a second, so a Redis that is back is used again within
 * about that. What a failure means for a request is each caller's policy.
 */

export interface RedisConnectionOptions {
  url: string;
  /** Longest a command waits for its reply; also how long the first connection may take before commands fail. */
  commandTimeoutMs: number;
  /** Names the connection in its log lines (e.g. "rate limits"). */
  name: string;
  /** The loss and the return of the connection are logged once each per outage. */
  log?: Logger | undefined;
  /** Told of every connection error and every command refused while Redis is down (metrics), with `name`. */
  onError?: ((connection: string) => void) | undefined;
}

/** Reconnection delays double from 50 ms up to this. */
const maxReconnectDelayMs = 1_000;
/** Per connection attempt: a host that does not answer (no refusal) is tried again after this. */
const connectTimeoutMs = 2_000;

export class RedisConnection {
  readonly #redis: Redis;
  readonly #options: RedisConnectionOptions;
  /** Settles with whether the very first connection came up (false on its first error). */
  readonly #firstConnection: Promise<boolean>;
  /** Going on from the loss of the connection until it is back; not while the first connection is being made. */
  readonly #outage = new Outage();
  #closing = false;

  constructor(options: RedisConnectionOptions) {
    this.#options = options;
    this.#redis = new Redis(options.url, {
      // Many commands in flight share one round trip.
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: connectTimeoutMs,
      // A command is never retried on a new connection: its caller has had its answer by then.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, maxReconnectDelayMs),
    });
    this.#firstConnection = new Promise((resolve) => {
      this.#redis.once("ready", () => resolve(true));
      this.#redis.once("error", () => resolve(false));
    });
    this.#redis.on("error", (error: Error) => {
      options.onError?.(options.name);
      this.#lost(error);
    });
    this.#redis.on("close", () => this.#lost(undefined));
    this.#redis.on("ready", () => this.#back());
  }

  /**
   * The client, once it can take a command: at once while connected; while the first connection is
   * being made, after at most the command timeout; never while Redis is known to be down (that throws
   * at once).
   */
  async client(): Promise<Redis> {
    if (this.#up()) return this.#redis;
    if (!this.#outage.ongoing) {
      const timeout = Bun.sleep(this.#options.commandTimeoutMs).then(() => false);
      if ((await Promise.race([this.#firstConnection, timeout])) && this.#up()) return this.#redis;
    }
    this.#options.onError?.(this.#options.name);
    throw new Error(`Redis (${this.#options.name}) is unavailable`);
  }

  async close(): Promise<void> {
    this.#closing = true;
    // QUIT waits for replies to what is in flight; a connection that is not up has nothing to wait for.
    if (this.#up()) await this.#redis.quit();
    else this.#redis.disconnect();
  }

  #up(): boolean {
    return this.#redis.status === "ready";
  }

  #lost(error: Error | undefined): void {
    if (this.#closing || !this.#outage.failed()) return;
    this.#options.log?.warn("lost Redis; commands fail at once until it is back", { redis: this.#options.name, error });
  }

  #back(): void {
    const ended = this.#outage.answered();
    if (ended) this.#options.log?.info("Redis is back", { redis: this.#options.name, down_ms: ended.ms });
  }
}
