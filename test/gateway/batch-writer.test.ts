import { describe, expect, test } from "bun:test";
import { BatchWriter } from "../../src/gateway/usage/batch-writer.ts";
import { createLogger } from "../../lib/log.ts";

const options = { maxBatch: 10, flushIntervalMs: 20, retryDelayMs: 5, maxRetryDelayMs: 40, shutdownTimeoutMs: 10_000, log: createLogger("error") };

describe("the batching usage writer", () => {
  test("writes full batches at once and the rest after the flush interval", async () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>(async (batch) => void batches.push([...batch]), options);
    for (let i = 0; i < 25; i++) writer.push(i);
    await Bun.sleep(5);
    expect(batches.flat().length).toBeGreaterThanOrEqual(20);
    await Bun.sleep(40);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(batches.every((b) => b.length <= 10)).toBe(true);
  });

  test("a store outage delays records but loses none", async () => {
    const written: number[] = [];
    let down = true;
    const writer = new BatchWriter<number>(async (batch) => {
      if (down) throw new Error("store unavailable");
      written.push(...batch);
    }, options);
    for (let i = 0; i < 35; i++) writer.push(i);
    await Bun.sleep(100);
    expect(written).toEqual([]);
    expect(writer.pending).toBe(35);
    down = false;
    await writer.flush();
    expect(written).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(writer.pending).toBe(0);
  });

  test("close writes what is left", async () => {
    const written: number[] = [];
    const writer = new BatchWriter<number>(async (batch) => void written.push(...batch), { ...options, flushIntervalMs: 60_000 });
    writer.push(1);
    writer.push(2);
    await writer.close();
    expect(written).toEqual([1, 2]);
  });

  test("close gives up after its deadline when the store stays down, and says so", async () => {
    const lines: string[] = [];
    const log = createLogger("error", {}, (line) => lines.push(line));
    const writer = new BatchWriter<number>(async () => {
      throw new Error("down");
    }, { ...options, shutdownTimeoutMs: 50, log });
    writer.push(1);
    await writer.close();
    expect(writer.pending).toBe(1);
    expect(lines.join("")).toContain("not written before shutdown");
  });
});
