import { closeSync, existsSync, fsyncSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { z } from "zod";
import type { Logger } from "../../../lib/log.ts";

/**
 * The usage writer's last resort: records the store has not taken when the shutdown deadline comes
 * are appended to this local file, one JSON object per line, and fsynced before the process exits.
 * The next start reads them back and hands them to the writer ahead of everything else; the file is
 * removed only once they are all written. Replaying is safe however often it happens (a crash after
 * the write, before the removal) because the store's usage write is idempotent by request id.
 *
 * One spool per replica: two processes sharing the file could each replay and remove it.
 */
export class Spool<T> {
  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly log: Logger,
  ) {}

  /**
   * The records in the file (none when there is no file). A line that is not a valid record is
   * skipped and counted, not fatal: a crash in the middle of an append leaves a half-written last line.
   */
  read(): T[] {
    if (!existsSync(this.path)) return [];
    const records: T[] = [];
    let skipped = 0;
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      const record = this.#parse(line);
      if (record === undefined) skipped++;
      else records.push(record);
    }
    if (skipped > 0) this.log.error("spooled usage lines that are not records were skipped", { path: this.path, skipped });
    return records;
  }

  /** Appends the records and waits until they are on disk. Synchronous: it runs as the process is about to exit. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, "a+");
    try {
      // After a half-written line, start on a new one so the first record is not glued to it.
      const text = records.map((record) => JSON.stringify(record)).join("\n");
      writeSync(fd, `${this.#endsLine(fd) ? "" : "\n"}${text}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#syncDirectory();
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }

  /** A file created just now survives a power cut only once its directory entry is on disk too. */
  #syncDirectory(): void {
    const fd = openSync(dirname(this.path), "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #endsLine(fd: number): boolean {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  }

  #parse(line: string): T | undefined {
    try {
      const parsed = this.schema.safeParse(JSON.parse(line));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
