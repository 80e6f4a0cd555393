/**
 * An outage of something the proxy depends on (the store, Redis) as one event rather than one failure
 * per request: `failed` says whether this failure starts it, `answered` whether this answer ends it
 * and how long it lasted. The callers log those two moments, once each.
 */
export class Outage {
  #since: number | undefined;
  #failures = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether an outage is going on. */
  get ongoing(): boolean {
    return this.#since !== undefined;
  }

  /** Notes a failure; true when it starts an outage. */
  failed(): boolean {
    this.#failures++;
    if (this.#since !== undefined) return false;
    this.#since = this.now();
    this.#failures = 1;
    return true;
  }

  /** Notes an answer; the outage it ends (its length and the failures in it), if one was going on. */
  answered(): { ms: number; failures: number } | undefined {
    if (this.#since === undefined) return undefined;
    const ended = { ms: this.now() - this.#since, failures: this.#failures };
    this.#since = undefined;
    return ended;
  }
}
