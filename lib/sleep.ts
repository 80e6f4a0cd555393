/**
 * Waits `ms`, or less when `signal` aborts first: a retry backoff or a paced stream must not keep a
 * timer (and the work behind it) alive for a client that has gone. The one sleep helper of the repo;
 * where nothing can abort, `Bun.sleep` is enough.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
