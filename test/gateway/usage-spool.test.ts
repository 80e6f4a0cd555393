import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { BatchWriter } from "../../src/gateway/usage/batch-writer.ts";
import { Spool } from "../../src/gateway/usage/spool.ts";
import { createLogger } from "../../lib/log.ts";
import { createStore } from "../../src/store/create-store.ts";
import { type UsageRecordInput, usageRecordSchema } from "../../src/gateway/usage/usage-record.ts";
import { usageRecord } from "../support/usage-record.ts";

/** The usage writer's shutdown spool: what the store did not take is kept on disk and written by the next start, once. */

const numbered = z.strictObject({ n: z.number() });
type Numbered = z.infer<typeof numbered>;

function logged() {
  const lines: string[] = [];
  return { log: createLogger("info", {}, (line) => lines.push(line)), messages: () => lines.map((line) => (JSON.parse(line) as { message: string }).message) };
}

const spoolPath = () => join(mkdtempSync(join(tmpdir(), "abp-usage-spool-")), "spool", "usage.jsonl");
const options = { maxBatch: 10, flushIntervalMs: 5, retryDelayMs: 5, maxRetryDelayMs: 20, shutdownTimeoutMs: 50 };
const down = async () => {
  throw new Error("store unavailable");
};
const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((line) => line !== "");

describe("the spool file", () => {
  test("a half-written last line (a crash mid-append) is skipped, not fatal, and the next append starts on a new line", () => {
    const path = spoolPath();
    const { log, messages } = logged();
    const spool = new Spool(path, numbered, log);
    spool.append([{ n: 1 }, { n: 2 }]);
    writeFileSync(path, `${readFileSync(path, "utf8")}{"n":`);
    expect(spool.read()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(messages()).toContain("spooled usage lines that are not records were skipped");
    spool.append([{ n: 3 }]);
    expect(spool.read()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test("no file reads as no records", () => {
    expect(new Spool(spoolPath(), numbered, createLogger("error")).read()).toEqual([]);
  });
});

describe("the usage writer with a spool", () => {
  test("records the store has not taken at the shutdown deadline are spooled, and said so", async () => {
    const path = spoolPath();
    const { log, messages } = logged();
    const writer = new BatchWriter<Numbered>(down, { ...options, spool: new Spool(path, numbered, log), log });
    for (let n = 0; n < 25; n++) writer.push({ n });
    await writer.close();
    expect(lines(path).map((line) => JSON.parse(line))).toEqual(Array.from({ length: 25 }, (_, n) => ({ n })));
    expect(messages()).toContain("usage records not written before shutdown were spooled; the next start writes them");
  });

  test("the next start writes the spooled records first, and removes the file only once they are written", async () => {
    const path = spoolPath();
    const log = createLogger("error");
    new Spool(path, numbered, log).append([{ n: 1 }, { n: 2 }]);
    const written: number[] = [];
    const release = Promise.withResolvers<void>();
    const writer = new BatchWriter<Numbered>(
      async (batch) => {
        await release.promise;
        written.push(...batch.map((record) => record.n));
      },
      { ...options, spool: new Spool(path, numbered, log), log },
    );
    writer.push({ n: 3 });
    expect(writer.replaySpool()).toBe(2);
    await Bun.sleep(20);
    expect(existsSync(path)).toBe(true);
    release.resolve();
    await writer.flush();
    expect(written).toEqual([1, 2, 3]);
    expect(existsSync(path)).toBe(false);
  });

  test("replayed records still unwritten at the next shutdown stay in the file once, with the new ones after them", async () => {
    const path = spoolPath();
    const log = createLogger("error");
    new Spool(path, numbered, log).append([{ n: 1 }, { n: 2 }]);
    const writer = new BatchWriter<Numbered>(down, { ...options, spool: new Spool(path, numbered, log), log });
    writer.replaySpool();
    writer.push({ n: 3 });
    await writer.close();
    expect(new Spool(path, numbered, log).read()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

describe("on SQLite held by another writer", () => {
  test("usage spooled while the database was locked lands once the next start has it, once however often it is replayed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "abp-usage-spool-sqlite-"));
    const dbPath = join(dir, "proxy.db");
    const path = join(dir, "usage-spool.jsonl");
    const log = createLogger("error");
    const records = Array.from({ length: 30 }, (_, i) => usageRecord(`spool-${i}`, { cost_usd: 0.001 * (i + 1) }));
    const store = await createStore({ kind: "sqlite", path: dbPath });
    // Another process's write transaction (a backup, a shell) holds the lock past the writer's busy timeout.
    const holder = new Database(dbPath);
    holder.run("BEGIN IMMEDIATE");
    const writer = new BatchWriter<UsageRecordInput>((batch) => store.writeUsage(batch).then(() => undefined), {
      ...options,
      maxBatch: 100,
      spool: new Spool<UsageRecordInput>(path, usageRecordSchema, log),
      log,
    });
    for (const record of records) writer.push(record);
    await writer.close();
    holder.run("ROLLBACK");
    holder.close();
    await store.close();
    expect(lines(path).length).toBe(records.length);
    const copy = `${path}.copy`;
    copyFileSync(path, copy);

    const reopened = await createStore({ kind: "sqlite", path: dbPath });
    try {
      for (let start = 0; start < 2; start++) {
        if (start > 0) copyFileSync(copy, path);
        const next = new BatchWriter<UsageRecordInput>((batch) => reopened.writeUsage(batch).then(() => undefined), {
          ...options,
          spool: new Spool<UsageRecordInput>(path, usageRecordSchema, log),
          log,
        });
        expect(next.replaySpool()).toBe(records.length);
        await next.flush();
        expect(existsSync(path)).toBe(false);
        expect((await reopened.latestUsage("k1", 1000)).length).toBe(records.length);
        const expected = records.reduce((sum, record) => sum + record.cost_usd, 0);
        expect(await reopened.getMonthSpend("k1", "2026-11")).toBeCloseTo(expected, 9);
      }
    } finally {
      await reopened.close();
    }
  }, 30_000);
});
