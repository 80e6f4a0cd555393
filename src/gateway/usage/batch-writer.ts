import type { Logger } from "../../log.ts";

export interface BatchWriterOptions {
  /** Most records one write takes. */
  maxBatch: number;
  /** How long a record may wait for its batch to fill. */
  flushIntervalMs: number;
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: Logger;
}

/**
 * Usage leaves the request path here: records are buffered and written in batches by one loop
 * that retries a failed batch until the store takes it, so a store outage delays records but never
 * loses them. The store's write is idempotent by record id, which makes retrying a batch that was
 * partly applied safe: nothing is counted twice. `close()` (on SIGTERM) writes what is left.
 */
export class BatchWriter<T> {
  private buffer: T[] = [];
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private stopped = false;

  constructor(
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly options: BatchWriterOptions,
  ) {}

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

  /** Writes what is left, retrying quickly, for at most `timeoutMs` (shutdown cannot wait forever). */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    await Promise.race([this.flush(), Bun.sleep(timeoutMs)]);
    this.stopped = true;
    if (this.buffer.length > 0) this.options.log.error("usage records not written before shutdown", { pending: this.buffer.length });
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
        delay = this.options.retryDelayMs;
      } catch (error) {
        this.options.log.warn("usage write failed; retrying", { pending: this.buffer.length, retry_in_ms: delay, error });
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, this.closing ? this.options.retryDelayMs : this.options.maxRetryDelayMs);
      }
    }
  }
}
