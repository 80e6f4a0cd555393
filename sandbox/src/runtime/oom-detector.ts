/**
 * bwrap has no OOM event to ask (no cgroup here), so an out-of-memory end is
 * inferred from what the program leaves behind:
 *  - under RLIMIT_AS, allocations fail: CPython raises MemoryError, C code
 *    reports "Cannot allocate memory"/ENOMEM, C++ throws std::bad_alloc;
 *  - a SIGKILL we did not send (the kernel OOM killer) also counts.
 * The tail of stderr is kept to look for those words once the program ends.
 */
const OOM_WORDS = /MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i;
const TAIL_CHARS = 8192;

export class StderrTail {
  private tail = "";
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.consume(stream);
  }

  private async consume(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.tail = (this.tail + decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
      }
    } catch {
      // The stream erroring just means we saw less; detection stays best-effort.
    }
  }

  mentionsOutOfMemory(): boolean {
    return OOM_WORDS.test(this.tail);
  }
}

export function looksOutOfMemory(opts: { signal: string | null; killedByUs: boolean; stderrSaysOom: boolean }): boolean {
  if (opts.killedByUs) return false;
  return opts.signal === "SIGKILL" || opts.stderrSaysOom;
}
