import type { Store } from "../../src/gateway/store.ts";

/**
 * The gateway section's proof that usage was written, not just measured: after every load it waits
 * until the proxy's batching writer has landed a record for every request sent (counted through the
 * store the proxy writes to); at the end of a run it reads back, by request-id, the record of every
 * request answered, and for a key checks that the month spend adds up to the records' cost.
 */

/** The key_id open mode records its usage under. */
export const anonymous = "anonymous";
/** How long a load's records may take to land before the check gives up and reports the shortfall. */
const usageLandTimeoutMs = 20_000;
const usagePollMs = 20;
/** How long the month spend may take to catch up with the records' cost before the check reports the gap. */
const spendSettleTimeoutMs = 5_000;
/** Store reads in flight while reading records back. */
const readBackConcurrency = 16;

/** A proxy's usage as the bench follows it. */
export interface RecordingLane {
  /** The bench's own handle on the store the proxy writes. */
  store: Store;
  /** Whose usage the proxy records. */
  keyId: string;
  /** Every request sent to this proxy so far: the records its store should hold. */
  sent: number;
}

export interface UsageCheck {
  /** Requests this run sent to the lane's proxy, warm-up and failures included. */
  requests: number;
  /** Usage records the store gained for the lane's key over the run (its roll-ups' request counts). */
  records: number;
  /** Of this run's answered requests, how many had their own record found by request id. */
  readBack: number;
  answered: number;
  /** The longest wait, after one of the run's loads ended, for its last record to land. */
  maxLagMs: number;
  /**
   * For an issued key: its month spend, and the cost its usage roll-ups add up to, in USD, since the
   * key was made. The store writes both in one transaction, so they must agree exactly.
   */
  spend?: { spendUsd: number; costUsd: number };
}

/** What a run saw of one lane: where its counts stood before, what it answered, its longest wait. */
export interface RunRecords {
  sentBefore: number;
  recordsBefore: number;
  requestIds: readonly string[];
  maxLagMs: number;
}

/** The run's check, read through the store once its loads are done. */
export async function checkUsage(lane: RecordingLane, run: RunRecords): Promise<UsageCheck> {
  return {
    requests: lane.sent - run.sentBefore,
    records: (await countRecords(lane)) - run.recordsBefore,
    readBack: await readBack(lane, run.requestIds),
    answered: run.requestIds.length,
    maxLagMs: run.maxLagMs,
    ...(lane.keyId === anonymous ? {} : { spend: await compareSpend(lane) }),
  };
}

/**
 * Usage records the store holds for the lane's key, read through the store's roll-ups: a record and
 * its roll-up counts land in one transaction, and a record already written is never counted again.
 */
export async function countRecords(lane: RecordingLane): Promise<number> {
  const rollups = await lane.store.queryRollups({ bucket: "day", key_id: lane.keyId });
  return rollups.reduce((sum, rollup) => sum + rollup.requests, 0);
}

/** Waits until the store holds a record for every request sent; returns how long that took, in ms. */
export async function untilUsageLands(lane: RecordingLane): Promise<number> {
  const started = performance.now();
  while ((await countRecords(lane)) < lane.sent && performance.now() - started < usageLandTimeoutMs) await Bun.sleep(usagePollMs);
  return performance.now() - started;
}

/** Equal but for the rounding of sums of 10-decimal amounts. */
export function spendAgrees({ spendUsd, costUsd }: { spendUsd: number; costUsd: number }): boolean {
  return Math.abs(spendUsd - costUsd) <= 1e-6 * Math.max(1, costUsd);
}

/** The key's spend against its records' cost, once the spend writes (not awaited by requests) have caught up. */
async function compareSpend(lane: RecordingLane): Promise<{ spendUsd: number; costUsd: number }> {
  const read = async () => {
    const rollups = await lane.store.queryRollups({ bucket: "day", key_id: lane.keyId });
    const months = await lane.store.listMonthSpend(lane.keyId);
    return {
      spendUsd: months.reduce((sum, month) => sum + month.spend_usd, 0),
      costUsd: rollups.reduce((sum, rollup) => sum + rollup.cost_usd, 0),
    };
  };
  const started = performance.now();
  for (;;) {
    const figures = await read();
    if (spendAgrees(figures) || performance.now() - started > spendSettleTimeoutMs) return figures;
    await Bun.sleep(usagePollMs);
  }
}

/** How many of these requests have their own usage record in the store: this key's, status 200. */
async function readBack(lane: RecordingLane, requestIds: readonly string[]): Promise<number> {
  let found = 0;
  let next = 0;
  const worker = async () => {
    while (next < requestIds.length) {
      const requestId = requestIds[next++] as string;
      const record = await lane.store.getUsage(requestId);
      if (record && record.key_id === lane.keyId && record.status === 200) found++;
    }
  };
  await Promise.all(Array.from({ length: readBackConcurrency }, worker));
  return found;
}
