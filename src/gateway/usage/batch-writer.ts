import type { Logger } from "../../../lib/log.ts";
import type { Spool } from "./spool.ts";

export interface BatchWriterOptions<T> {
  /** Most records one write takes. */
  maxBatch: number;
  /** How long a record may wait for its batch to fill. */
  flushIntervalMs: number;
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** How long `close()` keeps trying the store before it spools what is left. */
  shutdownTimeoutMs: number;
  /** Where records the store has not taken at shutdown go; without one they are lost (and logged). */
  spool?: Spool<T> | undefined;
  log: Logger;
}

/**
 * Usage leaves the request path here: records are buffered and written in batches by one loop
 * that retries a failed batch until the store takes it, so a store outage delays records but never
 * loses them. The store's write is idempotent by record id, which makes retrying a batch that was
 * partly applied safe: nothing is counted twice. `close()` (on SIGTERM) writes what is left until
 * the shutdown deadline, then appends what the store still has not taken to the spool, which the
 * next start replays (`replaySpool`) ahead of new records.
 */
export class BatchWriter<T> {
  private buffer: T[] = [];
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private stopped = false;
  /** How many records at the head of the buffer came from the spool file and are still in it. */
  private spooledAhead = 0;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly options: BatchWriterOptions<T>,
  ) {}

  /** Queues the spool's records ahead of everything else; the file goes once they are all written. */
  replaySpool(): number {
    const records = this.options.spool?.read() ?? [];
    if (records.length === 0) return 0;
    this.options.log.info("writing usage records spooled at the last shutdown", { records: records.length, path: this.options.spool?.path });
    // Not unshift(...records): a large spool would pass more arguments than a call can take.
    this.buffer = records.concat(this.buffer);
    this.spooledAhead += records.length;
    this.kick();
    return records.length;
  }

  push(record: T): void {
    this.buffer.push(record);
    if (this.buffer.length >= this.options.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.flushIntervalMs);
  }

  /** Records not yet written (buffered or in a failing batch). */
  get pending(): number {
    return this.buffer.length;
  }

  /** Resolves once everything pushed so far is written. */
  async flush(): Promise<void> {
    while ((this.buffer.length > 0 && !this.stopped) || this.running) {
      this.kick();
      await this.running;
    }
  }

  /**
   * Writes what is left, retrying quickly, until the shutdown deadline (shutdown cannot wait forever);
   * then spools what the store has not taken.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.race([this.flush(), Bun.sleep(this.options.shutdownTimeoutMs)]);
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.buffer.length > 0) this.spoolLeftovers();
  }

  /** The records still in the spool file are not appended again. */
  private spoolLeftovers(): void {
    const { spool, log } = this.options;
    const pending = this.buffer.length;
    if (!spool) {
      log.error("usage records not written before shutdown", { pending });
      return;
    }
    try {
      spool.append(this.buffer.slice(this.spooledAhead));
      log.warn("usage records not written before shutdown were spooled; the next start writes them", { pending, path: spool.path });
    } catch (error) {
      log.error("usage records not written before shutdown could not be spooled", { pending, path: spool.path, error });
    }
  }

  /** Once the records replayed from the spool are all written, the file goes (not after `close`: it holds them again). */
  private spoolWritten(count: number): void {
    if (this.spooledAhead === 0 || this.stopped) return;
    this.spooledAhead = Math.max(0, this.spooledAhead - count);
    if (this.spooledAhead > 0) return;
    try {
      this.options.spool?.remove();
    } catch (error) {
      // Left in place it is replayed again at the next start, which counts nothing twice.
      this.options.log.warn("could not remove the usage spool", { path: this.options.spool?.path, error });
    }
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    let delay = this.options.retryDelayMs;
    while (this.buffer.length > 0 && !this.stopped) {
      const batch = this.buffer.slice(0, this.options.maxBatch);
      try {
        await this.write(batch);
        this.buffer.splice(0, batch.length);
        this.spoolWritten(batch.length);
        delay = this.options.retryDelayMs;
      } catch (error) {
        this.options.log.warn("usage write failed; retrying", { pending: this.buffer.length, retry_in_ms: delay, error });
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, this.closing ? this.options.retryDelayMs : this.options.maxRetryDelayMs);
      }
    }
  }
}
